"""Reads of import runs and their rows, scoped to who may see them."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from ordermgmt.models import User

from .models import ImportRow, ImportRun

ERROR_REPORT_HEADER = ("line", "Salesforce Id", "Opportunity Name", "column", "reason")


def import_run_list(*, user: User) -> QuerySet[ImportRun]:
    """The runs `user` may see (managers and Deal Desk all, a rep their own), newest first; the file's text is left
    out (`content` deferred)."""
    return (
        ImportRun.objects.visible_to(user).select_related("created_by").defer("content").order_by("-created_at", "-pk")
    )


def import_row_list(*, run: ImportRun, outcome: str | None = None) -> QuerySet[ImportRow]:
    """The run's row outcomes in file order, optionally of one outcome."""
    rows = ImportRow.objects.filter(run=run)
    if outcome:
        rows = rows.filter(outcome=outcome)
    return rows.order_by("line", "pk")


def error_report_rows(run: ImportRun) -> Iterator[tuple]:
    """The refused rows as the error report's lines (ERROR_REPORT_HEADER), in file order."""
    rows = import_row_list(run=run, outcome=ImportRow.Outcome.REFUSED)
    return rows.values_list("line", "external_id", "name", "column", "reason").iterator(chunk_size=1000)
