// Queue keyboard navigation: j / k move the selection, Enter opens the selected item.
// The selection survives the 30-second refresh of the rows (kept by opportunity id).
(function () {
  "use strict";
  var selectedId = null;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#queue-rows tr[data-href]"));
  }

  function select(row) {
    rows().forEach(function (r) { r.classList.remove("selected"); r.removeAttribute("aria-selected"); });
    if (!row) { return; }
    row.classList.add("selected");
    row.setAttribute("aria-selected", "true");
    selectedId = row.getAttribute("data-opportunity");
    row.focus({ preventScroll: false });
  }

  function typing(target) {
    var tag = (target.tagName || "").toLowerCase();
    return tag === "input" || tag === "select" || tag === "textarea" || target.isContentEditable;
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) { return; }
    var all = rows();
    if (!all.length) { return; }
    var current = all.findIndex(function (r) { return r.classList.contains("selected"); });
    if (event.key === "j") {
      select(all[Math.min(current + 1, all.length - 1)]);
      event.preventDefault();
    } else if (event.key === "k") {
      select(all[Math.max(current - 1, 0)]);
      event.preventDefault();
    } else if (event.key === "Enter" && current >= 0 && (event.target.tagName === "TR" || event.target === document.body)) {
      window.location.href = all[current].getAttribute("data-href");
      event.preventDefault();
    }
  });

  document.addEventListener("htmx:afterSwap", function () {
    if (selectedId === null) { return; }
    var row = document.querySelector('#queue-rows tr[data-opportunity="' + selectedId + '"]');
    if (row) {
      row.classList.add("selected");
      row.setAttribute("aria-selected", "true");
    }
  });
})();
