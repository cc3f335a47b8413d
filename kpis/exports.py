"""CSV and XLSX renderings of a KPI summary: every table of the dashboard on its own, or everything in one long
file (the same rows in both formats)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from django.http import FileResponse

from ordermgmt.exceptions import ApplicationError
from ordermgmt.exports import AUTO, xlsx_response

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


MONEY_METRICS = ("net_arr",)  # the summary carries money as decimal strings (JSON); the XLSX makes numbers of them


def _cell(value) -> str:
    return "" if value is None else str(value)


def summary_rows(summary: dict, table: str | None = None) -> tuple[list[str], Iterator[list]]:
    """(header, rows) of one table with its own columns (`table` given), or of every KPI and table as rows of
    `section,row,metric,value`; values as the summary holds them (None = no data). An unknown table raises at once."""
    if table:
        if table not in TABLES:
            raise ApplicationError(f"table: “{table}” is not one of {', '.join(TABLES)}.", extra={"field": "table"})
        rows = summary[table]
        columns = list(rows[0].keys()) if rows else ["(no data)"]
        return columns, ([row.get(c) for c in columns] for row in rows)

    def long() -> Iterator[list]:
        yield ["period", "", "period", summary["period"]]
        yield ["period", "", "region", summary["region"]]
        yield ["period", "", "computed_at", summary["computed_at"]]
        for key in SCALARS:
            yield ["kpi", "", key, summary[key]]
        for name in TABLES:
            for index, row in enumerate(summary[name], start=1):
                for metric, value in row.items():
                    yield [name, index, metric, value]

    return ["section", "row", "metric", "value"], long()


def summary_csv(summary: dict, table: str | None = None) -> str:
    """One table with its own columns (`table` given), or every KPI and table as rows of
    `section,row,metric,value` (no data is an empty cell, never 0)."""
    header, rows = summary_rows(summary, table)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def _typed(metric: str, value):
    if metric in MONEY_METRICS and isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


def summary_xlsx(summary: dict, table: str | None, filename: str) -> FileResponse:
    """The rows of summary_csv as an XLSX sheet: figures as numbers (money with a money format), no data as an empty
    cell, text as text."""
    header, rows = summary_rows(summary, table)
    if table:
        typed = ([_typed(metric, v) for metric, v in zip(header, row, strict=True)] for row in rows)
    else:
        typed = ([section, index, metric, _typed(metric, value)] for section, index, metric, value in rows)
    return xlsx_response(filename, header, typed, [AUTO] * len(header))
