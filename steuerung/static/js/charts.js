// Draws every Plotly figure embedded as JSON: <div id="X" class="chart"></div>
// <script type="application/json" class="plotly-figure" data-target="X">{...}</script>
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("script.plotly-figure").forEach(function (node) {
    var target = document.getElementById(node.getAttribute("data-target"));
    if (!target || typeof Plotly === "undefined") { return; }
    var figure = JSON.parse(node.textContent);
    var config = { responsive: true, displaylogo: false, locale: "de" };
    Plotly.newPlot(target, figure.data, figure.layout || {}, config);
  });
});
