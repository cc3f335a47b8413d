"""CSV renderings of a KPI summary: every table of the dashboard on its own, or everything in one long file."""

from __future__ import annotations

import csv
import io

from ordermgmt.exceptions import ApplicationError

SCALARS = (
    "approval_sla_pct",
    "median_decision_business_hours",
    "p90_decision_business_hours",
    "avg_with_rep_business_hours",
    "approval_accuracy_pct",
    "csat_pct",
    "avg_first_response_business_hours",
    "speed_to_month_close_days",
    "license_automatic_pct",
)
TABLES = (
    "approval_sla_by_region",
    "approval_sla_by_person",
    "approval_accuracy_by_region",
    "csat_by_region",
    "first_response_by_team",
    "closed_won_by_region",
    "closed_won_by_member",
    "rejections_by_reason",
    "rejections_by_region",
    "rejections_by_rep",
    "escalations_by_rep",
    "escalations_by_region",
    "speed_to_month_close_months",
    "license_failures_by_reason",
    "open_discrepancies",
)


def _cell(value) -> str:
    return "" if value is None else str(value)


def summary_csv(summary: dict, table: str | None = None) -> str:
    """One table with its own columns (`table` given), or every KPI and table as rows of
    `section,row,metric,value` (no data is an empty cell, never 0)."""
    out = io.StringIO()
    writer = csv.writer(out)
    if table:
        if table not in TABLES:
            raise ApplicationError(f"table: “{table}” is not one of {', '.join(TABLES)}.", extra={"field": "table"})
        rows = summary[table]
        columns = list(rows[0].keys()) if rows else ["(no data)"]
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
        return out.getvalue()
    writer.writerow(["section", "row", "metric", "value"])
    writer.writerow(["period", "", "period", summary["period"]])
    writer.writerow(["period", "", "region", _cell(summary["region"])])
    writer.writerow(["period", "", "computed_at", summary["computed_at"]])
    for key in SCALARS:
        writer.writerow(["kpi", "", key, _cell(summary[key])])
    for name in TABLES:
        for index, row in enumerate(summary[name], start=1):
            for metric, value in row.items():
                writer.writerow([name, index, metric, _cell(value)])
    return out.getvalue()
