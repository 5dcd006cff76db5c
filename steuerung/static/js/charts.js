// Draws every Plotly figure embedded as JSON: <div id="X" class="chart"></div>
// <script type="application/json" class="plotly-figure" data-target="X">{...}</script>
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("script.plotly-figure").forEach(function (node) {
    var target = document.getElementById(node.getAttribute("data-target"));
    if (!target || typeof Plotly === "undefined") { return; }
    var figure = JSON.parse(node.textContent);
    // Nothing may leave the Kommune's network: no "send to cloud" / "edit in Chart Studio".
    var config = {
      responsive: true, displaylogo: false, locale: "de",
      showSendToCloud: false, showEditInChartStudio: false, showLink: false,
      modeBarButtonsToRemove: ["sendDataToCloud", "select2d", "lasso2d"]
    };
    Plotly.newPlot(target, figure.data, figure.layout || {}, config);
  });
});
