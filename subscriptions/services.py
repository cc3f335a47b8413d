"""Writes of the subscriptions app: billing records upserts, reconciliation runs, and discrepancy fixes."""

from __future__ import annotations

import contextlib
import logging
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F
from django.utils import timezone

from ordermgmt.database import is_postgresql
from ordermgmt.exceptions import Conflict, InvalidTransition
from ordermgmt.models import Opportunity, User
from ordermgmt.services import opportunity_event_record, outbox_enqueue

from . import rules
from .models import (
    DISCREPANCY_ALLOWED_TRANSITIONS,
    Discrepancy,
    DiscrepancyEvent,
    Invoice,
    ReconciliationRun,
    Subscription,
)

logger = logging.getLogger(__name__)

SUBSCRIPTION_FIELDS = ("account", "status", "term_start", "term_end", "carr", "exception", "exception_reason")
INVOICE_FIELDS = ("account", "opportunity", "amount", "net_arr", "invoice_date")
# A run still queued this long after creation lost its message (and the outbox could not help): it is failed.
STALE_QUEUED_AFTER = timedelta(hours=1)
MAX_RUN_ATTEMPTS = 3
# Namespace of the session-level advisory locks held by the worker executing a run (second key: the run id).
RUN_LOCK_NAMESPACE = 0x5EC0


# --- billing records -------------------------------------------------------------------------------------------


def _upsert(model, *, lookup: dict[str, Any], data: dict[str, Any], fields) -> tuple[Any, bool]:
    obj = model.objects.select_for_update(no_key=True).filter(**lookup).first()
    created = obj is None
    if created:
        obj = model(**lookup)
    for name in fields:
        if name in data:
            setattr(obj, name, data[name])
    obj.full_clean(validate_unique=False)
    obj.save()
    return obj, created


@transaction.atomic
def subscription_upsert(*, data: dict[str, Any]) -> tuple[Subscription, bool]:
    """Create or update the subscription named `data["name"]` (billing is the source); returns (it, created)."""
    if data.get("exception") and not data.get("exception_reason"):
        raise ValidationError({"exception_reason": ["Give the reason for the exception."]})
    if "exception" in data and not data["exception"]:
        data = {**data, "exception": None}
    return _upsert(Subscription, lookup={"name": data["name"]}, data=data, fields=SUBSCRIPTION_FIELDS)


@transaction.atomic
def invoice_upsert(*, data: dict[str, Any]) -> tuple[Invoice, bool]:
    """Create or update the invoice numbered `data["number"]`; returns (it, created)."""
    opp = data.get("opportunity")
    if opp is not None and data.get("account") is not None and opp.account_id != data["account"].pk:
        raise ValidationError({"opportunity": ["This opportunity belongs to another account."]})
    return _upsert(Invoice, lookup={"number": data["number"]}, data=data, fields=INVOICE_FIELDS)


# --- runs ----------------------------------------------------------------------------------------------------------


def _previous_month(day: date) -> str:
    first = day.replace(day=1) - timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


def _month_bounds(period: str) -> tuple[date, date]:
    year, month = (int(part) for part in period.split("-"))
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    return start, end


def run_summary(run: ReconciliationRun) -> dict[str, Any]:
    return {"id": run.pk, "kind": run.kind, "status": run.status, "progress": run.progress}


SQLITE_MESSAGE = (
    "Reconciliation runs need PostgreSQL: its rules are set-based PostgreSQL SQL, which the SQLite development "
    "default cannot run. Set DATABASE_URL to a PostgreSQL database."
)


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
    *, kind: str, actor: User | None = None, as_of: date | None = None, month: str | None = None, enqueue: bool = True
) -> ReconciliationRun:
    """Queue a run of `kind` and publish its task after commit (through the outbox).

    One run of a kind at a time: if one is queued or running, raises Conflict carrying it (a stale one, whose
    worker died, is failed first). Bookings check `month` (YYYY-MM), by default the month before `as_of`.
    """
    if kind not in ReconciliationRun.Kind.values:
        raise ValidationError({"kind": [f"Unknown reconciliation kind {kind!r}."]})
    reconciliation_run_sweep(kind=kind)
    as_of = as_of or timezone.localdate()
    period = ""
    if kind == ReconciliationRun.Kind.BOOKINGS:
        period = month or _previous_month(as_of)
        start, _ = _month_bounds(period)
        as_of = start if month else as_of
    try:
        with transaction.atomic():
            run = ReconciliationRun.objects.create(kind=kind, as_of=as_of, period=period, started_by=actor)
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
    params: dict[str, Any] = {"run_id": run.pk, "period": run.period, "as_of": run.as_of}
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
        ReconciliationRun.objects.filter(pk=run.pk).update(
            status=ReconciliationRun.Status.DONE, progress=100, counts=counts, finished_at=timezone.now(), error=""
        )


# --- discrepancies -------------------------------------------------------------------------------------------------


def _transition(
    discrepancy: Discrepancy, *, to_status: str, actor: User | None, action: str, changes=None, reason: str = ""
) -> None:
    if to_status not in DISCREPANCY_ALLOWED_TRANSITIONS[discrepancy.status]:
        raise InvalidTransition(entity="discrepancy", from_status=discrepancy.status, to_status=to_status)
    DiscrepancyEvent.objects.create(
        discrepancy=discrepancy,
        actor=actor,
        action=action,
        from_status=discrepancy.status,
        to_status=to_status,
        changes=changes or {},
        reason=reason,
    )
    discrepancy.status = to_status
    discrepancy.resolved_by = actor if to_status != Discrepancy.Status.OPEN else None
    discrepancy.resolved_at = timezone.now() if to_status != Discrepancy.Status.OPEN else None
    discrepancy.reason = reason
    try:
        with transaction.atomic():
            discrepancy.save()
    except IntegrityError:
        raise Conflict(
            f"Discrepancy {discrepancy.pk}: the same finding is already open again (found by a later run)."
        ) from None


def _lock_opportunity(pk: int | None, discrepancy: Discrepancy) -> Opportunity:
    opp = Opportunity.objects.select_for_update(no_key=True).filter(pk=pk).first()
    if opp is None:
        raise Conflict(f"Discrepancy {discrepancy.pk}: its opportunity no longer exists; re-run the reconciliation.")
    if opp.approval_status in (Opportunity.ApprovalStatus.SUBMITTED, Opportunity.ApprovalStatus.OM_APPROVED):
        raise Conflict(f"Discrepancy {discrepancy.pk}: {opp} is in approval; fix it once the decision is made.")
    return opp


def _as_field_value(field: str, value: Any) -> Any:
    if value is None:
        return None
    if field == "start_date":
        return date.fromisoformat(value)
    return Decimal(str(value))


def _fix(discrepancy: Discrepancy, actor: User) -> dict[str, Any]:
    """Apply the proposed fix; return what it changed (for undo). Refuses if the records moved since the run."""
    fix = discrepancy.proposed_fix
    action = fix.get("action")
    if action == "create_renewal":
        sub = (
            Subscription.objects.select_for_update(no_key=True)
            .select_related("account")
            .get(pk=discrepancy.subscription_id)
        )
        arr_basis, start = Decimal(fix["arr_basis"]), date.fromisoformat(fix["start_date"])
        if sub.carr != arr_basis or sub.term_end != start:
            raise Conflict(f"Discrepancy {discrepancy.pk}: the subscription changed since the run; re-run it.")
        if sub.opportunities.filter(type=Opportunity.Type.RENEWAL).exclude(stage=Opportunity.Stage.DUPLICATE).exists():
            raise Conflict(f"Discrepancy {discrepancy.pk}: {sub} has a renewal opportunity now.")
        opp = Opportunity.objects.create(
            name=f"{sub.name} renewal"[:255],
            account=sub.account,
            owner=actor,
            region_id=sub.account.region_id,
            type=Opportunity.Type.RENEWAL,
            stage=Opportunity.Stage.DISCOVERY,
            amount=Decimal("0"),
            net_arr=Decimal("0"),
            arr_basis=arr_basis,
            start_date=start,
            subscription=sub,
            closed_won_reason="",
            closed_won_details="",
        )
        opportunity_event_record(
            opportunity=opp,
            actor=actor,
            action="reconciliation_created",
            changes={"arr_basis": [None, str(arr_basis)], "start_date": [None, start.isoformat()]},
            comment=f"Missing renewal of {sub.name} (discrepancy {discrepancy.pk}).",
        )
        return {"created_opportunity": opp.pk, "version": opp.version}

    opp = _lock_opportunity(discrepancy.opportunity_id, discrepancy)
    if action == "mark_duplicate":
        if opp.subscription_id != discrepancy.subscription_id or opp.stage == Opportunity.Stage.DUPLICATE:
            raise Conflict(f"Discrepancy {discrepancy.pk}: {opp} changed since the run; re-run it.")
        new = {"stage": Opportunity.Stage.DUPLICATE.value, "subscription": None}
    elif action == "set":
        field = fix["field"]
        if getattr(opp, field) != _as_field_value(field, discrepancy.actual.get(field)):
            raise Conflict(f"Discrepancy {discrepancy.pk}: {opp}'s {field} changed since the run; re-run it.")
        new = {field: _as_field_value(field, fix["value"])}
    else:
        raise Conflict(f"Discrepancy {discrepancy.pk} has no automatic fix: resolve it by hand or accept it.")
    changes = _set_opportunity(opp, new, actor=actor, action="reconciliation_fixed", discrepancy=discrepancy)
    return {"opportunity": opp.pk, "fields": changes}


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else (str(value) if isinstance(value, Decimal) else value)


def _set_opportunity(
    opp: Opportunity, new: dict[str, Any], *, actor: User, action: str, discrepancy: Discrepancy
) -> dict[str, list]:
    changes = {}
    for field, value in new.items():
        attname = "subscription_id" if field == "subscription" else field
        changes[field] = [_jsonable(getattr(opp, attname)), _jsonable(value)]
        setattr(opp, attname, value)
    opp.version += 1
    opp.save()
    opportunity_event_record(
        opportunity=opp,
        actor=actor,
        action=action,
        changes=changes,
        comment=f"Reconciliation: {discrepancy.get_kind_display()} (discrepancy {discrepancy.pk}).",
    )
    return changes


def _lock_discrepancies(ids: list[int]) -> list[Discrepancy]:
    found = list(Discrepancy.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk"))
    missing = set(ids) - {d.pk for d in found}
    if missing:
        raise ValidationError({"ids": [f"Unknown discrepancies: {sorted(missing)}."]})
    return found


@transaction.atomic
def discrepancy_apply(*, discrepancy_ids: list[int], actor: User | None, reason: str = "") -> list[Discrepancy]:
    """Apply the proposed fixes of the given discrepancies, all or none (one transaction, rows locked in pk order).

    Already-fixed ones are a no-op. Each fix is audited on the opportunity and as a discrepancy event, and what it
    changed is kept for undo.
    """
    discrepancies = _lock_discrepancies(discrepancy_ids)
    for discrepancy in discrepancies:
        if discrepancy.status == Discrepancy.Status.FIXED:
            continue
        if discrepancy.status != Discrepancy.Status.OPEN:
            raise InvalidTransition(
                entity="discrepancy", from_status=discrepancy.status, to_status=Discrepancy.Status.FIXED
            )
        applied = _fix(discrepancy, actor)
        discrepancy.applied_changes = applied
        _transition(
            discrepancy,
            to_status=Discrepancy.Status.FIXED,
            actor=actor,
            action="applied",
            changes=applied,
            reason=reason,
        )
    return discrepancies


@transaction.atomic
def discrepancy_accept(*, discrepancy_ids: list[int], actor: User, reason: str) -> list[Discrepancy]:
    """Accept findings as known exceptions (a reason is required); later runs keep them accepted, not reopened."""
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Say why this is an accepted exception."]})
    discrepancies = _lock_discrepancies(discrepancy_ids)
    for discrepancy in discrepancies:
        if discrepancy.status == Discrepancy.Status.ACCEPTED:
            continue
        _transition(discrepancy, to_status=Discrepancy.Status.ACCEPTED, actor=actor, action="accepted", reason=reason)
    return discrepancies


@transaction.atomic
def discrepancy_undo(*, discrepancy_id: int, actor: User, reason: str = "") -> Discrepancy:
    """Undo an applied fix: restore what it changed (refusing if the records moved since) and reopen the finding."""
    discrepancy = _lock_discrepancies([discrepancy_id])[0]
    if discrepancy.status != Discrepancy.Status.FIXED:
        raise InvalidTransition(entity="discrepancy", from_status=discrepancy.status, to_status="undone")
    applied = discrepancy.applied_changes
    if "created_opportunity" in applied:
        opp = _lock_opportunity(applied["created_opportunity"], discrepancy)
        if opp.version != applied["version"]:
            raise Conflict(f"Discrepancy {discrepancy.pk}: {opp} was edited after it was created; undo it by hand.")
        opp.delete()
    else:
        opp = _lock_opportunity(applied["opportunity"], discrepancy)
        restore = {}
        for field, (old, new) in applied["fields"].items():
            attname = "subscription_id" if field == "subscription" else field
            if _jsonable(getattr(opp, attname)) != new:
                raise Conflict(f"Discrepancy {discrepancy.pk}: {opp}'s {field} changed since the fix; undo by hand.")
            restore[field] = old if field in ("stage", "subscription") else _as_field_value(field, old)
        _set_opportunity(opp, restore, actor=actor, action="reconciliation_undone", discrepancy=discrepancy)
    discrepancy.applied_changes = {}
    _transition(
        discrepancy, to_status=Discrepancy.Status.OPEN, actor=actor, action="undone", changes=applied, reason=reason
    )
    return discrepancy
