// Cost plan rows: add and remove rows without a page reload.
// Without JavaScript the form still works: it has empty rows, and the
// "Weitere Kostenzeilen" button asks the server for more.
(function () {
  "use strict";

  function renumber(row, index) {
    row.querySelectorAll("[name], [id], label[for], [aria-describedby]").forEach(function (el) {
      ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) {
          el.setAttribute(attr, value.replace(/cost_plan-\d+-/g, "cost_plan-" + index + "-"));
        }
      });
    });
    var legend = row.querySelector("legend");
    if (legend) { legend.textContent = "Kostenzeile " + (index + 1); }
  }

  function clear(row) {
    row.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (el.type === "checkbox") { el.checked = false; }
      else if (el.tagName === "SELECT") {
        if (/-budget_line_id$/.test(el.name)) { return; } // keep the department's default line
        el.selectedIndex = 0;
      } else { el.value = ""; }
      el.classList.remove("is-invalid");
      el.removeAttribute("aria-invalid");
    });
    row.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
  }

  function nextIndex(container) {
    var max = -1;
    container.querySelectorAll("[name^='cost_plan-']").forEach(function (el) {
      var match = /^cost_plan-(\d+)-/.exec(el.name);
      if (match) { max = Math.max(max, parseInt(match[1], 10)); }
    });
    return max + 1;
  }

  function addRemoveButton(row, container) {
    if (row.querySelector(".remove-cost-row")) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-outline-danger remove-cost-row mb-2";
    button.textContent = "Zeile entfernen";
    button.addEventListener("click", function () {
      var rows = container.querySelectorAll(".cost-row");
      if (rows.length > 1) {
        row.remove();
      } else {
        clear(row);
      }
      var first = container.querySelector(".cost-row select, .cost-row input");
      if (first) { first.focus(); }
    });
    row.appendChild(button);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("cost-rows");
    var addButton = document.getElementById("add-cost-row");
    if (!container) { return; }
    container.querySelectorAll(".cost-row").forEach(function (row) { addRemoveButton(row, container); });
    if (!addButton) { return; }
    addButton.textContent = "Kostenzeile hinzufügen";
    addButton.addEventListener("click", function (event) {
      var rows = container.querySelectorAll(".cost-row");
      if (!rows.length) { return; } // let the server add rows
      event.preventDefault();
      var copy = rows[rows.length - 1].cloneNode(true);
      var oldButton = copy.querySelector(".remove-cost-row");
      if (oldButton) { oldButton.remove(); }
      renumber(copy, nextIndex(container));
      clear(copy);
      container.appendChild(copy);
      addRemoveButton(copy, container);
      var first = copy.querySelector("select, input");
      if (first) { first.focus(); }
    });
  });
})();
