// German locale for plotly.js, registered from our own file: the plotly package ships no
// locale files and nothing may be loaded from a CDN. Texts of the mode bar and messages,
// month and day names, decimal comma and thousands dot.
(function () {
  "use strict";
  if (typeof Plotly === "undefined") { return; }
  Plotly.register({
    moduleType: "locale",
    name: "de",
    dictionary: {
      "Download plot as a PNG": "Diagramm als PNG herunterladen",
      "Download plot": "Diagramm herunterladen",
      "Preparing image - this may take a few seconds": "Das Bild wird erstellt, das kann einige Sekunden dauern",
      "Image download succeeded": "Das Bild wurde heruntergeladen",
      "Sorry, there was a problem downloading your image!": "Das Bild konnte leider nicht heruntergeladen werden.",
      "Double-click to zoom back out": "Doppelklick stellt die ursprüngliche Ansicht wieder her",
      "Autoscale": "Automatisch skalieren",
      "Reset axes": "Achsen zurücksetzen",
      "Zoom": "Vergrößern",
      "Zoom in": "Hineinzoomen",
      "Zoom out": "Herauszoomen",
      "Pan": "Verschieben",
      "trace": "Datenreihe",
      "Click to enter Plot title": "Klicken, um den Titel einzugeben",
      "Click to enter X axis title": "Klicken, um den Titel der x-Achse einzugeben",
      "Click to enter Y axis title": "Klicken, um den Titel der y-Achse einzugeben",
      "Click to enter Colorscale title": "Klicken, um den Titel der Farbskala einzugeben"
    },
    format: {
      days: ["Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"],
      shortDays: ["So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"],
      months: ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
        "September", "Oktober", "November", "Dezember"],
      shortMonths: ["Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt",
        "Nov", "Dez"],
      periods: ["", ""],
      dateTime: "%A, %e. %B %Y, %X",
      date: "%d.%m.%Y",
      time: "%H:%M:%S",
      decimal: ",",
      thousands: ".",
      grouping: [3],
      currency: ["", " €"],
      year: "%Y",
      month: "%b %Y",
      dayMonth: "%-d. %b",
      dayMonthYear: "%-d. %b %Y"
    }
  });
})();
