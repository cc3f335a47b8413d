"""Corrections after Closed Won: Billing or a manager opens one with a reason; Order Management approves it (the
new values are applied, through the opportunity's one write path, with the history line) or rejects it. The
original values stay on the correction, and the KPIs count an approved correction as an error of the original
booking."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date

from ordermgmt.exceptions import Conflict, InvalidTransition, NotVisibleError, PermissionDeniedError
from ordermgmt.models import Opportunity, User
from ordermgmt.services import opportunity_event_record, opportunity_fields_set
from ordermgmt.services.integration import integration_event_emit

from ..models import Correction
from .booking import BOOKED_FIELDS
from .guards import Status, _lock, _notify_rep, _notify_users, delegate

DATE_FIELDS = ("start_date", "end_date", "close_date")


def _value(field: str, raw: Any) -> Any:
    """A field's new value from JSON or a form, or a ValidationError naming `changes.<field>`."""
    if field in DATE_FIELDS:
        value = raw if isinstance(raw, date) else parse_date(str(raw or ""))
        if value is None:
            raise ValidationError({f"changes.{field}": ["Give a date (YYYY-MM-DD)."]})
        return value
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({f"changes.{field}": ["Give an amount."]}) from exc
    if not value.is_finite() or value < 0 or value >= Decimal("1e12"):
        raise ValidationError({f"changes.{field}": ["Give an amount between 0 and 999,999,999,999."]})
    return value.quantize(Decimal("0.01"))


def _jsonable(value: Any) -> str | None:
    return None if value is None else (value.isoformat() if isinstance(value, date) else str(value))


@transaction.atomic
def correction_open(
    *, opportunity_id: int, actor: User, reason: str, changes: dict[str, Any], kind: str = Correction.Kind.FIELDS
) -> Correction:
    """Open a correction of a Closed Won deal (Billing, managers). `changes` maps booked fields (amount, Net ARR,
    start, end and close dates) to their corrected values; a rebook is a correction with a new close date."""
    opp = _lock(opportunity_id, actor)
    if not (actor.is_billing or actor.is_manager):
        raise PermissionDeniedError("Only Billing and managers open corrections.")
    if opp.approval_status != Status.CLOSED_WON:
        raise InvalidTransition("Only a Closed Won deal is corrected; edit or reject it instead.",
                                from_status=opp.approval_status)  # fmt: skip
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = ["Say why the booking is corrected."]
    if kind not in Correction.Kind.values:
        errors["kind"] = [f"Unknown kind {kind!r}: fields or rebook."]
    unknown = sorted(set(changes or {}) - set(BOOKED_FIELDS))
    if unknown:
        errors["changes"] = [f"Not a correctable field: {', '.join(unknown)} (one of {', '.join(BOOKED_FIELDS)})."]
    elif not changes:
        errors["changes"] = ["Give at least one corrected value."]
    elif kind == Correction.Kind.REBOOK and "close_date" not in changes:
        errors["changes"] = ["A rebook gives the new close date."]
    if errors:
        raise ValidationError(errors)
    new = {field: _value(field, raw) for field, raw in changes.items()}
    if all(getattr(opp, field) == value for field, value in new.items()):
        raise ValidationError({"changes": ["Nothing differs from the booking."]})
    try:
        with transaction.atomic():
            correction = Correction.objects.create(
                opportunity=opp, region_id=opp.region_id, kind=kind, reason=reason.strip(),
                changes={f: _jsonable(v) for f, v in new.items()},
                original={f: _jsonable(getattr(opp, f)) for f in new}, opened_by=actor, opened_at=timezone.now(),
            )  # fmt: skip
    except IntegrityError as exc:
        raise Conflict("A correction of this deal is already waiting for Order Management.") from exc
    opportunity_event_record(
        opportunity=opp,
        actor=actor,
        action="correction_opened",
        changes={f: [correction.original[f], correction.changes[f]] for f in new},
        comment=correction.reason,
    )
    integration_event_emit(
        kind="correction.opened", opportunity=opp, data={"correction": {"id": correction.pk, "kind": correction.kind}}
    )
    reviewers = User.objects.with_role(User.Role.SPECIALIST).working_region(opp.region_id).select_related("backup")
    now = timezone.now()
    _notify_users([delegate(u, now) for u in reviewers], opp, "correction", f"Correction of {opp.name} to review.")
    return correction


def _pending(correction_id: int, actor: User) -> tuple[Correction, Opportunity]:
    correction = Correction.objects.select_for_update(of=("self",)).filter(pk=correction_id).first()
    if correction is None:
        raise NotVisibleError()
    opp = _lock(correction.opportunity_id, actor)
    if not (actor.is_manager or (actor.is_specialist and correction.region_id in actor.region_codes())):
        raise PermissionDeniedError("Order Management of the deal's region (or a manager) decides corrections.")
    if correction.state != Correction.State.PENDING:
        raise InvalidTransition(f"This correction is already {correction.get_state_display().lower()}.",
                                from_status=correction.state)  # fmt: skip
    return correction, opp


@transaction.atomic
def correction_approve(
    *, correction_id: int, actor: User, comment: str = "", now: datetime | None = None
) -> Correction:
    """Order Management approves: the corrected values are written (one history line, the original kept on the
    correction)."""
    correction, opp = _pending(correction_id, actor)
    now = now or timezone.now()
    values = {field: _value(field, raw) for field, raw in correction.changes.items()}
    opportunity_fields_set(
        opportunity=opp, values=values, actor=actor, action="corrected",
        comment=f"{correction.get_kind_display()}: {correction.reason}",
    )  # fmt: skip
    correction.state, correction.decided_by, correction.decided_at = Correction.State.APPROVED, actor, now
    correction.comment = comment.strip()
    correction.save(update_fields=["state", "decided_by", "decided_at", "comment"])
    integration_event_emit(
        kind="correction.decided",
        opportunity=opp,
        data={"correction": {"id": correction.pk, "state": correction.state}},
    )
    _notify_users([correction.opened_by], opp, "correction", f"The correction of {opp.name} is approved and applied.")
    _notify_rep(opp, "correction", f"{opp.name} was corrected after Closed Won: {correction.reason}")
    return correction


@transaction.atomic
def correction_reject(*, correction_id: int, actor: User, comment: str, now: datetime | None = None) -> Correction:
    """Order Management rejects: the booking stays as it was; the opener is told why."""
    if not (comment or "").strip():
        raise ValidationError({"comment": ["Say why the correction is rejected."]})
    correction, opp = _pending(correction_id, actor)
    correction.state, correction.decided_by = Correction.State.REJECTED, actor
    correction.decided_at, correction.comment = now or timezone.now(), comment.strip()
    correction.save(update_fields=["state", "decided_by", "decided_at", "comment"])
    integration_event_emit(
        kind="correction.decided",
        opportunity=opp,
        data={"correction": {"id": correction.pk, "state": correction.state}},
    )
    opportunity_event_record(opportunity=opp, actor=actor, action="correction_rejected", changes={}, comment=comment)
    _notify_users([correction.opened_by], opp, "correction", f"The correction of {opp.name} was rejected: {comment}")
    return correction
