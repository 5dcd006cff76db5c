// Repeated rows of the measure form (cost plan, milestones) and of a change request: add and
// remove rows without a page reload. Only an enhancement: without JavaScript the form has
// empty rows, the "Weitere ..." buttons ask the server for more, and blank rows are ignored.
//
// Markup (templates/measures/_cost_rows.html): a container .repeat-rows with data-prefix
// (field name prefix, e.g. "cost_plan"), data-row-label ("Kostenzeile"), data-rows-label
// (plural), data-add-label and
// data-status (id of a polite live region); one fieldset.repeat-row per row with a legend.
// The add button is the container's server button (id "add-<container id without -rows>-row").
(function () {
  "use strict";

  function rowsOf(container) {
    return Array.prototype.filter.call(container.children, function (el) {
      return el.classList.contains("repeat-row");
    });
  }

  function firstField(row) {
    return row.querySelector("select, input:not([type=hidden]), textarea");
  }

  function announce(container, text) {
    var region = document.getElementById(container.getAttribute("data-status"));
    if (!region) { return; }
    // A change of text is what screen readers announce: clear first, then set.
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  // Rows are numbered 1..n in legend and remove button, and their fields 0..n-1 in name and
  // id, so the server's error messages and the legends always name the same row.
  function renumber(container) {
    var prefix = container.getAttribute("data-prefix");
    var label = container.getAttribute("data-row-label");
    var pattern = new RegExp(prefix + "-\\d+-", "g");
    rowsOf(container).forEach(function (row, index) {
      row.querySelectorAll("[name], [id], label[for], [aria-describedby]").forEach(function (el) {
        ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) { el.setAttribute(attr, value.replace(pattern, prefix + "-" + index + "-")); }
        });
      });
      var legend = row.querySelector("legend");
      if (legend) { legend.textContent = label + " " + (index + 1); }
      var button = row.querySelector(".remove-row");
      if (button) { button.textContent = label + " " + (index + 1) + " entfernen"; }
    });
  }

  function clear(row) {
    row.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (el.type === "hidden") { return; }
      if (el.type === "checkbox" || el.type === "radio") { el.checked = false; }
      else if (el.tagName === "SELECT") {
        if (/-budget_line_id$/.test(el.name)) { return; } // keep the department's default line
        el.selectedIndex = 0;
      } else { el.value = ""; }
      el.classList.remove("is-invalid");
      el.removeAttribute("aria-invalid");
      var described = (el.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && !/-fehler$/.test(id);
      });
      if (described.length) { el.setAttribute("aria-describedby", described.join(" ")); }
      else { el.removeAttribute("aria-describedby"); }
    });
    row.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
  }

  function addRemoveButton(row, container, addButton) {
    if (row.querySelector(".remove-row")) { return; }
    var label = container.getAttribute("data-row-label");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-outline-danger remove-row mb-2";
    button.addEventListener("click", function () {
      var rows = rowsOf(container);
      var index = rows.indexOf(row);
      if (rows.length === 1) {
        clear(row);
        announce(container, label + " 1 geleert.");
        var only = firstField(row);
        if (only) { only.focus(); }
        return;
      }
      row.remove();
      renumber(container);
      var left = rowsOf(container);
      var plural = container.getAttribute("data-rows-label") || label;
      announce(container, label + " " + (index + 1) + " entfernt. Noch " + left.length + " " +
        (left.length === 1 ? label : plural) + ".");
      // Focus: the previous row's first field; after removing the first row the add button
      // (or, where there is none, the new first row).
      var target = index > 0 ? firstField(left[index - 1]) : (addButton || firstField(left[0]));
      if (target) { target.focus(); }
    });
    row.appendChild(button);
  }

  function enhance(container) {
    var base = container.id.replace(/-rows$/, "");
    var addButton = document.getElementById("add-" + base + "-row");
    var label = container.getAttribute("data-row-label");
    rowsOf(container).forEach(function (row) { addRemoveButton(row, container, addButton); });
    renumber(container);
    if (!addButton) { return; }
    addButton.textContent = container.getAttribute("data-add-label");
    addButton.addEventListener("click", function (event) {
      var rows = rowsOf(container);
      if (!rows.length) { return; } // let the server add rows
      event.preventDefault();
      var copy = rows[rows.length - 1].cloneNode(true);
      var oldButton = copy.querySelector(".remove-row");
      if (oldButton) { oldButton.remove(); }
      clear(copy);
      container.appendChild(copy);
      addRemoveButton(copy, container, addButton);
      renumber(container);
      announce(container, label + " " + rowsOf(container).length + " hinzugefügt.");
      var first = firstField(copy);
      if (first) { first.focus(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".repeat-rows").forEach(enhance);
  });
})();
