// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Live SLA countdowns: elements with data-countdown, data-remaining-hours (business hours left when the page was
  // rendered) and data-ticking ("1" while the region is inside support hours, so the clock runs). The server
  // re-renders the rows every 30 s (htmx); in between, ticking countdowns run down with the wall clock.
  function format(hours) {
    var sign = hours < 0 ? "-" : "";
    var abs = Math.abs(hours);
    var h = Math.floor(abs);
    var m = Math.floor((abs - h) * 60);
    return sign + h + "h " + (m < 10 ? "0" : "") + m + "m";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var hours = parseFloat(el.getAttribute("data-remaining-hours"));
      if (isNaN(hours)) { return; }
      if (!el.hasAttribute("data-rendered-at")) { el.setAttribute("data-rendered-at", String(now)); }
      if (el.getAttribute("data-ticking") === "1") {
        hours -= (now - parseInt(el.getAttribute("data-rendered-at"), 10)) / 3600000;
      }
      el.textContent = format(hours);
      var cell = el.closest("[data-sla-state]");
      if (cell && hours <= 0 && cell.getAttribute("data-sla-state") !== "breached") {
        cell.setAttribute("data-sla-state", "breached");
        cell.className = cell.className.replace(/sla-(ok|at_risk)/, "sla-breached");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
  setInterval(tick, 15000);
})();
