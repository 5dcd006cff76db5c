// Draws every Plotly figure embedded as JSON: <div id="X" class="chart"></div>
// <script type="application/json" class="plotly-figure" data-target="X">{...}</script>
// The German locale comes from plotly-locale-de.js (loaded before this file).
(function () {
  "use strict";

  // The mode bar's buttons are <button>s: six charts would add dozens of tab stops before
  // the data tables. The charts' data are in the tables (and CSV) beside them, so the
  // buttons stay for the mouse only. Plotly re-creates them on redraws: watch for that.
  function keepOutOfTabOrder(target) {
    function untab() {
      target.querySelectorAll(".modebar button, .modebar a, .modebar [tabindex]").forEach(function (el) {
        if (el.getAttribute("tabindex") !== "-1") { el.setAttribute("tabindex", "-1"); }
      });
    }
    untab();
    if (typeof MutationObserver !== "undefined") {
      new MutationObserver(untab).observe(target, { childList: true, subtree: true });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("script.plotly-figure").forEach(function (node) {
      var target = document.getElementById(node.getAttribute("data-target"));
      if (!target || typeof Plotly === "undefined") { return; }
      var figure = JSON.parse(node.textContent);
      // Only "download as PNG"; nothing may leave the Kommune's network (no cloud, no
      // Chart Studio link, no logo link).
      var config = {
        responsive: true,
        locale: "de",
        displaylogo: false,
        showSendToCloud: false,
        showEditInChartStudio: false,
        showLink: false,
        showTips: false,
        modeBarButtons: [["toImage"]],
        toImageButtonOptions: { format: "png", filename: target.id, scale: 2 }
      };
      Plotly.newPlot(target, figure.data, figure.layout || {}, config).then(function () {
        keepOutOfTabOrder(target);
      });
    });
  });
})();
