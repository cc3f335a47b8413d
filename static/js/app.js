// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Live SLA countdowns: elements with data-due (ISO time) and data-remaining-hours.
  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var hours = parseFloat(el.getAttribute("data-remaining-hours"));
      if (isNaN(hours)) { return; }
      var sign = hours < 0 ? "-" : "";
      var abs = Math.abs(hours);
      var h = Math.floor(abs);
      var m = Math.round((abs - h) * 60);
      el.textContent = sign + h + "h " + (m < 10 ? "0" : "") + m + "m";
    });
  }
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
})();
