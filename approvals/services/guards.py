"""The checks and helpers every workflow move shares: the locked read within the actor's scope, role and object
checks, the status move, the history and notifications."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from ordermgmt.calendar import business_hours_between
from ordermgmt.exceptions import (
    Conflict,
    InvalidTransition,
    NotVisibleError,
    PermissionDeniedError,
)
from ordermgmt.models import Opportunity, User
from ordermgmt.selectors import opportunity_locked
from ordermgmt.services import notification_send

from .. import requirements, selectors
from ..models import ALLOWED_TRANSITIONS, Submission

Status = Opportunity.ApprovalStatus
State = Submission.State


def _lock(opportunity_id: int, actor: User) -> Opportunity:
    """The opportunity row locked for this transaction, with what the requirements engine and the API's answer read
    (`opportunity_locked`).

    Only within what `actor` may see: anything else is NotVisibleError (404), as if it did not exist. Every role
    that may act on an opportunity can see it, so this is the API's object scope, checked in the lock's own read.
    """
    opp = opportunity_locked(selectors.opportunity_scope(actor), opportunity_id)
    if opp is None:
        raise NotVisibleError()
    return opp


def _open_submission(opp: Opportunity) -> Submission | None:
    return (
        Submission.objects.select_for_update(no_key=True, of=("self",))
        .select_related("region", "claimed_by")
        .prefetch_related("region__closures")
        .filter(opportunity=opp, state__in=Submission.OPEN_STATES)
        .first()
    )


def _check_transition(opp: Opportunity, to_status: str, action: str) -> None:
    if to_status not in ALLOWED_TRANSITIONS[opp.approval_status]:
        raise InvalidTransition(
            f"Cannot {action}: this opportunity is {opp.get_approval_status_display().lower()}.",
            from_status=opp.approval_status,
        )


def _require_owner(actor: User, opp: Opportunity, action: str) -> None:
    if not (actor.pk == opp.owner_id or actor.is_superuser):
        raise PermissionDeniedError(f"Only the opportunity's owner can {action} it.")


def can_review(actor: User, submission: Submission) -> bool:
    """Managers, and specialists whose region (own or covered) is the submission's queue."""
    if actor.is_manager:
        return True
    return actor.is_specialist and (
        submission.region_id in actor.region_codes() or submission.claimed_by_id == actor.pk
    )


def _require_reviewer(actor: User, submission: Submission) -> None:
    if not can_review(actor, submission):
        raise PermissionDeniedError("Only Order Management specialists of this region (or a manager) can do this.")


def _require_billing(actor: User) -> None:
    if not (actor.is_billing or actor.is_superuser):
        raise PermissionDeniedError("Only Billing can make the final review.")


def _on_behalf_of(actor: User, submission: Submission) -> User | None:
    """The claimer, when somebody else (their backup, a manager) acts on an item they claimed."""
    if submission.claimed_by_id and submission.claimed_by_id != actor.pk:
        return submission.claimed_by
    return None


def _validate_reasons(reasons: list[str], comment: str) -> list[str]:
    unknown = sorted(set(reasons) - requirements.rejection_reason_codes())
    errors = {}
    if not reasons:
        errors["reasons"] = ["Give at least one reason."]
    elif unknown:
        errors["reasons"] = [f"Unknown reason code(s): {', '.join(unknown)}."]
    if not comment.strip():
        errors["comment"] = ["Tell the rep what to fix."]
    if errors:
        raise ValidationError(errors)
    return list(dict.fromkeys(reasons))


def _hours(a, b, region) -> Decimal:
    return Decimal(str(round(business_hours_between(a, b, region), 2)))


def _move(opp: Opportunity, status: str, *, stage: str | None = None, **fields) -> list[str]:
    """Set the opportunity's new status (and stage, and any other fields), bump its version; the fields to save."""
    opp.approval_status = status
    if stage:
        opp.stage = stage
    for name, value in fields.items():
        setattr(opp, name, value)
    opp.version += 1
    return ["approval_status", "stage", "version", "updated_at", *fields]


def delegate(user: User, now=None) -> User:
    """Who gets what is meant for `user` now: their backup while they are out of office, else themselves."""
    if user.backup_id and user.is_away(now or timezone.now()):
        return user.backup
    return user


def _notify_users(users, opp: Opportunity, verb: str, message: str) -> None:
    """Notify each person once, with a link to the review page."""
    url = reverse("approvals:review", args=[opp.pk])
    for user in {u.pk: u for u in users}.values():
        notification_send(recipient=user, verb=verb, message=message, opportunity=opp, url=url)


def _notify_reviewers(submission: Submission, verb: str, message: str) -> None:
    """The claimer if claimed, else every active specialist of the queue's region (and those covering it); each
    replaced by their backup while out of office."""
    now = timezone.now()
    if submission.claimed_by_id:
        people = [submission.claimed_by]
    else:
        region = submission.region_id
        people = User.objects.with_role(User.Role.SPECIALIST).working_region(region).select_related("backup").distinct()
    _notify_users([delegate(user, now) for user in people], submission.opportunity, verb, message)


def _notify_region_managers(submission: Submission, verb: str, message: str) -> None:
    """The managers of the queue's region (and those without a region, who manage every region)."""
    region = submission.region_id
    managers = User.objects.with_role(User.Role.MANAGER).filter(Q(region_id=region) | Q(region__isnull=True))
    _notify_users(managers, submission.opportunity, verb, message)


def _notify_billing(opp: Opportunity, message: str) -> None:
    _notify_users(User.objects.with_role(User.Role.BILLING), opp, "billing_review", message)


def _notify_rep(opp: Opportunity, verb: str, message: str) -> None:
    notification_send(
        recipient=opp.owner,
        verb=verb,
        message=message,
        opportunity=opp,
        url=reverse("approvals:opportunity_detail", args=[opp.pk]),
    )


def _submitted(opp: Opportunity, action: str) -> Submission:
    if opp.approval_status != Status.SUBMITTED:
        raise InvalidTransition(
            f"Cannot {action}: this opportunity is {opp.get_approval_status_display().lower()}.",
            from_status=opp.approval_status,
        )
    return _open_submission(opp)


def _claim_guard(actor: User, submission: Submission) -> None:
    """Somebody else's claim blocks a specialist; their backup and managers may act on their behalf."""
    claimer = submission.claimed_by
    if claimer is None or claimer.pk == actor.pk or actor.is_manager:
        return
    if claimer.backup_id == actor.pk:
        return
    raise Conflict(f"Claimed by {claimer}: ask them or a manager to reassign it.", extra={"claimed_by": claimer.pk})


def _reason_labels(reasons: list[str]) -> str:
    labels = dict(requirements.rejection_reasons())
    return ", ".join(labels[code] for code in reasons)
