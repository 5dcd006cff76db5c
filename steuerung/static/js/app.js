// Steuerung: small progressive enhancements; the pages work without JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  // Move focus to the error summary of a form that came back with errors.
  var summary = document.getElementById("fehlerliste");
  if (summary) { summary.focus(); }
  // Wide tables (templates/_tables.html) are labelled, focusable regions so the keyboard can
  // scroll them. Where a table fits, the region would only be an empty tab stop: drop it,
  // and bring it back when the window (or the zoom) makes the table overflow.
  var regions = document.querySelectorAll(".wide-table[data-label]");
  function syncRegions() {
    regions.forEach(function (region) {
      var scrolls = region.scrollWidth > region.clientWidth + 1 ||
        region.scrollHeight > region.clientHeight + 1;
      if (scrolls) {
        region.setAttribute("role", "region");
        region.setAttribute("tabindex", "0");
        region.setAttribute("aria-label", region.getAttribute("data-label"));
      } else if (document.activeElement !== region) {
        region.removeAttribute("role");
        region.removeAttribute("tabindex");
        region.removeAttribute("aria-label");
      }
    });
  }
  if (regions.length) {
    syncRegions();
    window.addEventListener("resize", syncRegions);
    // Opening a <details> (around or inside a table) changes what overflows.
    document.querySelectorAll("details").forEach(function (details) {
      details.addEventListener("toggle", syncRegions);
    });
  }
  // Confirm destructive actions marked with data-confirm.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
});
