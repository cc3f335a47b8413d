"""Reconciliation runs: queue one, execute its set-based rules (subscriptions/rules.py) under a run lock, sweep the
runs whose worker died, and apply the unambiguous fixes a run found."""

from __future__ import annotations

import contextlib
import logging
import re
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F
from django.utils import timezone

from ordermgmt.database import is_postgresql
from ordermgmt.exceptions import Conflict, InvalidTransition
from ordermgmt.models import Region, User
from ordermgmt.services import outbox_enqueue
from ordermgmt.services.integration import integration_events_emit

from .. import rules
from ..models import Discrepancy, ReconciliationRun
from .discrepancies import discrepancy_apply

logger = logging.getLogger(__name__)

# A run still queued this long after creation lost its message (and the outbox could not help): it is failed.
STALE_QUEUED_AFTER = timedelta(hours=1)
MAX_RUN_ATTEMPTS = 3
# Namespace of the session-level advisory locks held by the worker executing a run (second key: the run id).
RUN_LOCK_NAMESPACE = 0x5EC0
SQLITE_MESSAGE = (
    "Reconciliation runs need PostgreSQL: its rules are set-based PostgreSQL SQL, which the SQLite development "
    "default cannot run. Set DATABASE_URL to a PostgreSQL database."
)


def _previous_month(day: date) -> str:
    first = day.replace(day=1) - timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


def _month_bounds(period: str) -> tuple[date, date]:
    """[first day, first day of the next month) of a YYYY-MM month; ValidationError naming `month` otherwise."""
    match = re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", period or "")
    # Both bounds must be real dates: 0000-01 and 9999-12 are refused, not a crash.
    if not match or not 1 <= int(match[1]) <= 9998:
        raise ValidationError({"month": [f"“{period}” is not a month between 0001-01 and 9998-12 (YYYY-MM)."]})
    year, month = int(match[1]), int(match[2])
    return date(year, month, 1), date(year + (month == 12), month % 12 + 1, 1)


def run_summary(run: ReconciliationRun) -> dict[str, Any]:
    return {"id": run.pk, "kind": run.kind, "status": run.status, "progress": run.progress, "region": run.region_id}


@contextlib.contextmanager
def _run_lock(run_id: int):
    """A session-level advisory lock held while a worker executes the run; it dies with the worker's connection."""
    if not is_postgresql():  # the SQLite development default: one worker, nothing to lock
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute(rules.TRY_RUN_LOCK, [RUN_LOCK_NAMESPACE, run_id])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute(rules.RUN_UNLOCK, [RUN_LOCK_NAMESPACE, run_id])


def reconciliation_run_sweep(*, kind: str | None = None) -> int:
    """Fail runs nobody executes any more: running with no worker holding its lock, or queued for too long.

    Returns how many it failed. Safe to call at any time (a live worker holds the lock, so its run is kept).
    """
    qs = ReconciliationRun.objects.filter(status__in=ReconciliationRun.ACTIVE_STATUSES)
    if kind:
        qs = qs.filter(kind=kind)
    failed = 0
    now = timezone.now()
    for run in qs:
        if run.status == ReconciliationRun.Status.QUEUED:
            if run.created_at < now - STALE_QUEUED_AFTER:
                failed += _run_fail(run_id=run.pk, error="Never picked up by a worker.")
            continue
        with _run_lock(run.pk) as acquired:
            if acquired:
                failed += _run_fail(run_id=run.pk, error="The worker executing this run was lost mid-run.")
    return failed


def _run_fail(*, run_id: int, error: str) -> int:
    return ReconciliationRun.objects.filter(pk=run_id, status__in=ReconciliationRun.ACTIVE_STATUSES).update(
        status=ReconciliationRun.Status.FAILED, finished_at=timezone.now(), error=error[:5000]
    )


def reconciliation_run_create(
    *,
    kind: str,
    actor: User | None = None,
    as_of: date | None = None,
    month: str | None = None,
    region: str | None = None,
    enqueue: bool = True,
) -> ReconciliationRun:
    """Queue a run of `kind` and publish its task after commit (through the outbox).

    One run of a kind at a time: if one is queued or running, raises Conflict carrying it (a stale one, whose
    worker died, is failed first). Bookings check `month` (YYYY-MM), by default the month before `as_of` (today by
    default); the run keeps both (`period` says which month it covered). A bad month raises ValidationError on `month`.
    `region` (a code) keeps the run to that region's findings; the one-run-per-kind rule holds whatever the region.
    """
    if kind not in ReconciliationRun.Kind.values:
        raise ValidationError({"kind": [f"Unknown reconciliation kind {kind!r}."]})
    if region and not Region.objects.filter(pk=region).exists():
        raise ValidationError({"region": [f"“{region}” is not a region."]})
    period = ""
    if kind == ReconciliationRun.Kind.BOOKINGS:
        period = month or _previous_month(as_of or timezone.localdate())
        start, _ = _month_bounds(period)
        as_of = as_of or (start if month else None)
    as_of = as_of or timezone.localdate()
    reconciliation_run_sweep(kind=kind)
    try:
        with transaction.atomic():
            run = ReconciliationRun.objects.create(
                kind=kind, as_of=as_of, period=period, region_id=region or None, started_by=actor
            )
            if enqueue:
                outbox_enqueue(task="subscriptions.tasks.reconciliation_run_execute", kwargs={"run_id": run.pk})
    except IntegrityError:
        active = ReconciliationRun.objects.filter(kind=kind, status__in=ReconciliationRun.ACTIVE_STATUSES).first()
        raise Conflict(
            f"A {kind} run is already {active.status if active else 'running'}.",
            extra={"run": run_summary(active)} if active else None,
        ) from None
    return run


def _set_progress(run_id: int, progress: int) -> None:
    ReconciliationRun.objects.filter(pk=run_id).update(progress=progress)


def reconciliation_run_execute(*, run_id: int) -> ReconciliationRun | None:
    """Execute a queued run (or resume one whose worker died); a no-op for a run another worker is executing.

    Idempotent: every rule is an upsert on the discrepancy's natural key, so executing a run twice, or resuming it
    after a crash, leaves the same rows. Progress is committed after each rule so the UI can poll it.
    """
    with _run_lock(run_id) as acquired:
        if not acquired:
            return None  # a live worker has it (a duplicate delivery of the same message)
        claimed = ReconciliationRun.objects.filter(pk=run_id, status__in=ReconciliationRun.ACTIVE_STATUSES).update(
            status=ReconciliationRun.Status.RUNNING,
            started_at=timezone.now(),
            attempts=F("attempts") + 1,
            progress=0,
        )
        run = ReconciliationRun.objects.get(pk=run_id)
        if not claimed:
            return run
        if run.attempts > MAX_RUN_ATTEMPTS:
            _run_fail(run_id=run_id, error=f"Gave up after {MAX_RUN_ATTEMPTS} attempts.")
            run.refresh_from_db()
            return run
        if not is_postgresql():
            _run_fail(run_id=run_id, error=SQLITE_MESSAGE)
            run.refresh_from_db()
            return run
        try:
            _run_rules(run)
        except Exception as exc:
            logger.exception("reconciliation run %s failed", run_id)
            _run_fail(run_id=run_id, error=f"{type(exc).__name__}: {exc}")
            raise
        _auto_apply(run)
        run.refresh_from_db()
        return run


def _auto_apply(run: ReconciliationRun) -> int:
    """Apply the unambiguous fixes a run found (kinds in settings.RECONCILIATION_AUTO_APPLY_KINDS), each in its own
    transaction as the system (no actor); one the records refuse (changed since, locked in approval) stays open for a
    specialist. Returns how many were applied and adds the count to the run's counts."""
    kinds = list(getattr(settings, "RECONCILIATION_AUTO_APPLY_KINDS", ()))
    if not kinds:
        return 0
    ids = Discrepancy.objects.filter(run=run, kind__in=kinds, status=Discrepancy.Status.OPEN).values_list(
        "pk", flat=True
    )
    applied = 0
    for discrepancy_id in list(ids):
        try:
            with transaction.atomic():
                discrepancy_apply(
                    discrepancy_ids=[discrepancy_id], actor=None, reason="Applied automatically: unambiguous."
                )
            applied += 1
        except (Conflict, InvalidTransition, ValidationError):
            continue  # left open: a specialist decides
    if applied:
        run.refresh_from_db()
        ReconciliationRun.objects.filter(pk=run.pk).update(counts={**run.counts, "auto_applied": applied})
    return applied


def _run_rules(run: ReconciliationRun) -> None:
    job_rules = rules.RULES[run.kind]
    params: dict[str, Any] = {"run_id": run.pk, "period": run.period, "as_of": run.as_of, "region": run.region_id}
    if run.period:
        params["start"], params["end"] = _month_bounds(run.period)
    steps = len(job_rules) + 1
    for index, (_kind, sql) in enumerate(job_rules, start=1):
        params["now"] = timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(rules.UPSERT.format(rule=sql), params)
        _set_progress(run.pk, int(index * 100 / steps))
    kinds = [kind for kind, _ in job_rules]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                rules.CLOSE_RESOLVED,
                {**params, "now": timezone.now(), "kinds": kinds, "reason": f"No longer found by run {run.pk}."},
            )
            resolved = cursor.rowcount
        counts = dict.fromkeys(kinds, 0)
        for row in (
            Discrepancy.objects.filter(run=run, kind__in=kinds).values("kind").annotate(n=Count("pk")).order_by()
        ):
            counts[row["kind"]] = row["n"]
        counts["resolved_upstream"] = resolved
        integration_events_emit(
            kind="discrepancy.found",
            items=(
                {"discrepancy": d}
                for d in Discrepancy.objects.filter(first_run=run)
                .order_by("pk")
                .values("id", "kind", "period", "subscription_id", "opportunity_id", "invoice_id")
                .iterator()
            ),
        )
        ReconciliationRun.objects.filter(pk=run.pk).update(
            status=ReconciliationRun.Status.DONE, progress=100, counts=counts, finished_at=timezone.now(), error=""
        )
