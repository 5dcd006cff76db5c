// Job progress page: poll the status instead of reloading (the meta refresh is the fallback).
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("auftrag");
  if (!box || !box.dataset.active || !window.fetch) { return; }
  var meta = document.querySelector('meta[http-equiv="refresh"]');
  if (meta) { meta.remove(); }
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (!state.active) { window.location.reload(); return; }
        document.getElementById("auftrag-status").textContent = state.status_label;
        var step = document.getElementById("auftrag-schritt");
        if (step) { step.textContent = state.step; }
        var bar = document.getElementById("auftrag-fortschritt");
        if (bar) { bar.value = state.percent; bar.textContent = state.percent + " %"; }
        var percent = document.getElementById("auftrag-prozent");
        if (percent) { percent.textContent = state.percent; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(function () { window.location.reload(); }, 2000); });
  }
  window.setTimeout(poll, 1000);
});
