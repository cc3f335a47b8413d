// KPI dashboard: trend charts from the json_script block, and the period picker (no inline script: CSP).
(function () {
  "use strict";

  function drawCharts() {
    var data = document.getElementById("kpi-trends");
    if (!data || typeof Chart === "undefined") return;
    var trends = JSON.parse(data.textContent);
    var rates = document.getElementById("chart-rates");
    if (rates) {
      new Chart(rates, {
        type: "line",
        data: {
          labels: trends.labels,
          datasets: [
            { label: "Approval SLA %", data: trends.approval_sla_pct, borderColor: "#0d6efd", spanGaps: true },
            { label: "Accuracy %", data: trends.approval_accuracy_pct, borderColor: "#198754", spanGaps: true },
            { label: "CSAT %", data: trends.csat_pct, borderColor: "#fd7e14", spanGaps: true },
          ],
        },
        options: { animation: false, scales: { y: { suggestedMin: 50, suggestedMax: 100 } } },
      });
    }
    var won = document.getElementById("chart-won");
    if (won) {
      new Chart(won, {
        type: "bar",
        data: { labels: trends.labels, datasets: [{ label: "Closed Won", data: trends.closed_won, backgroundColor: "#6f42c1" }] },
        options: { animation: false, plugins: { legend: { display: false } } },
      });
    }
  }

  function periodPicker() {
    var form = document.getElementById("kpi-filters");
    if (!form) return;
    var period = form.querySelector("#id_period");
    var month = form.querySelector("[data-kpi-month]");
    var from = form.querySelector("#id_from");
    var to = form.querySelector("#id_to");
    function syncCustom() {
      var custom = period.value === "";
      from.disabled = !custom;
      to.disabled = !custom;
    }
    period.addEventListener("change", function () {
      syncCustom();
      if (period.value) form.submit();
    });
    month.addEventListener("change", function () {
      if (!month.value) return;
      var option = period.querySelector('option[value="' + month.value + '"]');
      if (!option) {
        option = document.createElement("option");
        option.value = month.value;
        option.textContent = month.value;
        period.insertBefore(option, period.firstChild);
      }
      period.value = month.value;
      from.disabled = true;
      to.disabled = true;
      form.submit();
    });
    syncCustom();
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    periodPicker();
  });
})();
