"""A specialist's decisions on discrepancies: apply the proposed fixes (all or none), accept findings as known
exceptions, undo an applied fix. Each decision is a discrepancy event; each fix is also on the opportunity's history."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ordermgmt.exceptions import Conflict, InvalidTransition
from ordermgmt.models import User

from ..models import DISCREPANCY_ALLOWED_TRANSITIONS, Discrepancy, DiscrepancyEvent
from .fixes import fix_apply, fix_undo


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


def _lock_discrepancies(ids: list[int], actor: User | None) -> list[Discrepancy]:
    """The discrepancies, locked in pk order, all of them within what `actor` may fix (a specialist: their
    regions'; the system, `actor=None`: all). Any other id is refused as unknown, as if it did not exist."""
    scope = Discrepancy.objects.all() if actor is None else Discrepancy.objects.visible_to(actor)
    found = list(scope.select_for_update(no_key=True, of=("self",)).filter(pk__in=ids).order_by("pk"))
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
    discrepancies = _lock_discrepancies(discrepancy_ids, actor)
    for discrepancy in discrepancies:
        if discrepancy.status == Discrepancy.Status.FIXED:
            continue
        if discrepancy.status != Discrepancy.Status.OPEN:
            raise InvalidTransition(
                entity="discrepancy", from_status=discrepancy.status, to_status=Discrepancy.Status.FIXED
            )
        applied = fix_apply(discrepancy, actor)
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
    discrepancies = _lock_discrepancies(discrepancy_ids, actor)
    for discrepancy in discrepancies:
        if discrepancy.status == Discrepancy.Status.ACCEPTED:
            continue
        _transition(discrepancy, to_status=Discrepancy.Status.ACCEPTED, actor=actor, action="accepted", reason=reason)
    return discrepancies


@transaction.atomic
def discrepancy_undo(*, discrepancy_id: int, actor: User, reason: str = "") -> Discrepancy:
    """Undo an applied fix: restore what it changed (refusing if the records moved since) and reopen the finding."""
    discrepancy = _lock_discrepancies([discrepancy_id], actor)[0]
    if discrepancy.status != Discrepancy.Status.FIXED:
        raise InvalidTransition(entity="discrepancy", from_status=discrepancy.status, to_status="undone")
    applied = discrepancy.applied_changes
    fix_undo(discrepancy, actor)
    discrepancy.applied_changes = {}
    _transition(
        discrepancy, to_status=Discrepancy.Status.OPEN, actor=actor, action="undone", changes=applied, reason=reason
    )
    return discrepancy
