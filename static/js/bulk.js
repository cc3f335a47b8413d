// The queue's bulk bar: count the ticked rows, keep the ticks across the 30-second refresh of the rows (by
// opportunity id), and word the confirmation with the action and the count (confirm.js shows it).
(function () {
  "use strict";
  var form = document.getElementById("bulk-form");
  if (!form) { return; }
  var ticked = {};

  function items() { return Array.prototype.slice.call(document.querySelectorAll("[data-bulk-item]")); }

  function update() {
    var n = items().filter(function (box) { return box.checked; }).length;
    form.querySelector("[data-bulk-count]").textContent = String(n);
    form.querySelector("[data-bulk-submit]").disabled = n === 0;
    var action = form.querySelector("[name=action]");
    var label = action.options[action.selectedIndex].text.replace("…", "").toLowerCase();
    form.setAttribute("data-confirm", label.charAt(0).toUpperCase() + label.slice(1) + " " + n + (n === 1 ? " item?" : " items?"));
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-bulk-all]")) {
      items().forEach(function (box) { box.checked = target.checked; ticked[box.value] = target.checked; });
    } else if (target.matches("[data-bulk-item]")) {
      ticked[target.value] = target.checked;
    } else if (target.form !== form) {
      return;
    }
    update();
  });

  document.addEventListener("htmx:afterSwap", function () {
    items().forEach(function (box) { box.checked = ticked[box.value] === true; });
    update();
  });
  update();
})();
