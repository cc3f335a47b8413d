"""Import runs: create one from an uploaded file, start the real run of a dry run, execute either in Celery (a dry run
rolls everything back and keeps the outcomes; the real run commits row by row) and record their outcomes and counts.
The row logic both share is in `rows`, so the two cannot disagree."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from ordermgmt import services as om
from ordermgmt.exceptions import Conflict, PermissionDeniedError
from ordermgmt.models import User

from .. import parsing
from ..models import ImportRow, ImportRun, may_import
from .rows import RowImporter
from .values import RowResult

logger = logging.getLogger(__name__)

TASK = "imports.tasks.import_run_execute"
MAX_BYTES = 10 * 1024 * 1024
MAX_RUN_ATTEMPTS = 3
CHUNK = 50  # rows per progress update (and per batch of recorded outcomes) of a real run


# ---------------------------------------------------------------------------------------------------------------
# Creating and executing runs


def import_run_create(
    *, actor: User | None, filename: str, data: bytes, dry_run: bool = True, enqueue: bool = True
) -> ImportRun:
    """Store an uploaded file as a run and queue its execution (through the outbox) after commit.

    Refuses a person who may not import (403), and a file that is too large, unreadable, or lacks a required column
    (ValidationError on `file`, naming the column). Rows are checked when the run executes, each on its own.
    """
    if actor is not None and not may_import(actor):
        raise PermissionDeniedError("Managers, Deal Desk and sales reps (their own deals) import opportunities.")
    if len(data) > MAX_BYTES:
        raise ValidationError({"file": [f"The file is larger than {MAX_BYTES // (1024 * 1024)} MiB."]})
    file_format = parsing.detect_format(filename, data)
    parsed = parsing.parse(data=data, file_format=file_format)
    with transaction.atomic():
        run = ImportRun.objects.create(
            filename=filename[:255],
            format=file_format,
            content=parsing.decode(data),
            dry_run=dry_run,
            total=len(parsed.rows),
            created_by=actor,
        )
        if enqueue:
            om.outbox_enqueue(task=TASK, kwargs={"run_id": run.pk})
    return run


def import_run_start(*, actor: User | None, dry_run_id: int, enqueue: bool = True) -> ImportRun:
    """Queue the real import of a finished dry run's file (the same content, the same person's rights).

    Conflict (409) unless the dry run is done; starting it twice while the first import is active answers that one.
    """
    if actor is not None and not may_import(actor):
        raise PermissionDeniedError("Managers, Deal Desk and sales reps (their own deals) import opportunities.")
    with transaction.atomic():
        dry = ImportRun.objects.select_for_update().get(pk=dry_run_id)
        if not dry.dry_run or dry.status != ImportRun.Status.DONE:
            raise Conflict("Only a finished dry run can be imported.")
        active = dry.imports.filter(status__in=ImportRun.ACTIVE_STATUSES).first()
        if active is not None:
            return active  # a double click: the import already under way
        run = ImportRun.objects.create(
            filename=dry.filename,
            format=dry.format,
            content=dry.content,
            dry_run=False,
            dry_run_of=dry,
            total=dry.total,
            created_by=actor,
        )
        if enqueue:
            om.outbox_enqueue(task=TASK, kwargs={"run_id": run.pk})
    return run


def _claim(run_id: int) -> bool:
    """Take the run: a queued one, or a running one whose worker cannot still be at it (older than the task time
    limit: its message came back after the worker died). A second delivery of a live run's message claims nothing."""
    lease = timedelta(seconds=getattr(settings, "CELERY_TASK_TIME_LIMIT", None) or 1800)
    stale = Q(status=ImportRun.Status.RUNNING, started_at__lt=timezone.now() - lease)
    return bool(
        ImportRun.objects.filter(Q(status=ImportRun.Status.QUEUED) | stale, pk=run_id).update(
            status=ImportRun.Status.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1, error=""
        )
    )


def _fail(run_id: int, error: str) -> None:
    ImportRun.objects.filter(pk=run_id).update(
        status=ImportRun.Status.FAILED, finished_at=timezone.now(), error=error[:5000]
    )


def import_run_execute(*, run_id: int) -> ImportRun:
    """Execute a queued run (or resume one whose worker died); a finished run is returned as it is.

    A dry run applies every row inside one transaction that is rolled back at the end, so it answers exactly what
    the import would do, rows that depend on earlier rows included. A real run commits each row on its own (a
    refused row leaves nothing behind) and records the outcomes and the progress every CHUNK rows; resumed, it
    skips the lines it already recorded. Idempotent on the Salesforce Id: importing the same file again finds
    every record unchanged and writes nothing, no history line either.
    """
    if not _claim(run_id):
        return ImportRun.objects.get(pk=run_id)
    run = ImportRun.objects.select_related("created_by").get(pk=run_id)
    if run.attempts > MAX_RUN_ATTEMPTS:
        _fail(run_id, f"Gave up after {MAX_RUN_ATTEMPTS} attempts.")
        return ImportRun.objects.get(pk=run_id)
    try:
        parsed = parsing.parse(data=run.content.encode(), file_format=run.format)
        importer = RowImporter(actor=run.created_by, run=run, parsed=parsed)
        if run.dry_run:
            _execute_dry(run, importer)
        else:
            _execute_real(run, importer)
    except ValidationError as exc:
        _fail(run_id, " ".join(exc.messages))
        return ImportRun.objects.get(pk=run_id)
    except Exception as exc:
        logger.exception("import run %s failed", run_id)
        _fail(run_id, f"{type(exc).__name__}: {exc}")
        raise
    counts = _counts(run)
    ImportRun.objects.filter(pk=run_id).update(
        status=ImportRun.Status.DONE, processed=run.total, counts=counts, finished_at=timezone.now()
    )
    return ImportRun.objects.get(pk=run_id)


def _execute_dry(run: ImportRun, importer: RowImporter) -> None:
    results = []
    with transaction.atomic():
        for line, row in enumerate(importer.parsed.rows, start=1):
            results.append((line, importer.row(row)))
        transaction.set_rollback(True)
    ImportRow.objects.filter(run=run).delete()
    _record(run, results)


def _execute_real(run: ImportRun, importer: RowImporter) -> None:
    done = set(ImportRow.objects.filter(run=run).values_list("line", flat=True))
    rows = list(enumerate(importer.parsed.rows, start=1))
    for start in range(0, len(rows), CHUNK):
        chunk = [(line, row) for line, row in rows[start : start + CHUNK] if line not in done]
        results = [(line, importer.row(row)) for line, row in chunk]
        with transaction.atomic():
            _record(run, results)
            # The counts so far travel with the progress, so the page shows them growing.
            ImportRun.objects.filter(pk=run.pk).update(processed=min(start + CHUNK, len(rows)), counts=_counts(run))


def _record(run: ImportRun, results: list[tuple[int, RowResult]]) -> None:
    ImportRow.objects.bulk_create(
        [
            ImportRow(
                run=run,
                line=line,
                external_id=r.external_id[:40],
                name=r.name[:255],
                outcome=r.outcome,
                column=r.column[:100],
                reason=r.reason,
                changes={**r.changes, **_extra(r)},
                opportunity_id=r.opportunity_id,
            )
            for line, r in results
        ],
        batch_size=500,
    )


def _extra(r: RowResult) -> dict[str, int]:
    extra = {}
    if r.accounts_created:
        extra["_accounts_created"] = r.accounts_created
    if r.contacts_created:
        extra["_contacts_created"] = r.contacts_created
    return extra


def _counts(run: ImportRun) -> dict[str, int]:
    by_outcome = dict(
        ImportRow.objects.filter(run=run).values_list("outcome").annotate(n=Count("pk")).values_list("outcome", "n")
    )
    counts = {outcome: by_outcome.get(outcome, 0) for outcome in ImportRow.Outcome.values}
    extras = Counter()
    for changes in ImportRow.objects.filter(run=run, changes__has_any_keys=["_accounts_created", "_contacts_created"]):
        extras["accounts_created"] += changes.changes.get("_accounts_created", 0)
        extras["contacts_created"] += changes.changes.get("_contacts_created", 0)
    counts.update({"accounts_created": extras["accounts_created"], "contacts_created": extras["contacts_created"]})
    return counts
