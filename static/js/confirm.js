// Confirmation before a destructive action: a form with data-confirm="<the consequence>" asks first, in the page's
// one Bootstrap modal (#confirm-modal); "Yes" submits the form, anything else leaves it. No inline script (CSP).
(function () {
  "use strict";
  var pending = null;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-confirm") || form.dataset.confirmed === "1") { return; }
    var modalEl = document.getElementById("confirm-modal");
    if (!modalEl || !window.bootstrap) { return; }
    event.preventDefault();
    pending = form;
    modalEl.querySelector("[data-confirm-text]").textContent = form.getAttribute("data-confirm");
    bootstrap.Modal.getOrCreateInstance(modalEl).show();
  }, true);
  document.addEventListener("click", function (event) {
    if (!event.target.matches("[data-confirm-yes]") || !pending) { return; }
    var form = pending;
    pending = null;
    form.dataset.confirmed = "1";
    bootstrap.Modal.getOrCreateInstance(document.getElementById("confirm-modal")).hide();
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  });
})();
