// Steuerung: small progressive enhancements; the pages work without JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  // Move focus to the error summary of a form that came back with errors.
  var summary = document.getElementById("fehlerliste");
  if (summary) { summary.focus(); }
  // Confirm destructive actions marked with data-confirm.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
});
