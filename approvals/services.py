"""Every move of the approval workflow. Each function checks the actor's role and object permission, locks the
opportunity row, validates the transition against ALLOWED_TRANSITIONS, writes the submission/decision records and
the history, and queues notifications after commit.
"""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ordermgmt.calendar import business_hours_between, in_business_hours
from ordermgmt.exceptions import (
    ApplicationError,
    Conflict,
    InvalidTransition,
    NotVisibleError,
    PermissionDeniedError,
)
from ordermgmt.models import Opportunity, Region, User
from ordermgmt.selectors import opportunity_locked
from ordermgmt.services import notification_send, opportunity_event_record

from . import requirements, selectors
from .models import ALLOWED_TRANSITIONS, Decision, Submission
from .sla import held_until, sla_times

Status = Opportunity.ApprovalStatus
State = Submission.State


# --- guards --------------------------------------------------------------------------------------------------------


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
    return actor.is_specialist and submission.region_id in actor.region_codes()


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


def _notify_reviewers(submission: Submission, verb: str, message: str) -> None:
    """The claimer if claimed, else every active specialist of the queue's region (and those covering it)."""
    if submission.claimed_by_id:
        recipients = [submission.claimed_by]
    else:
        recipients = list(User.objects.with_role(User.Role.SPECIALIST).filter(region_id=submission.region_id)) + list(
            User.objects.with_role(User.Role.SPECIALIST).filter(covered_regions=submission.region_id)
        )
    for user in {u.pk: u for u in recipients}.values():
        notification_send(
            recipient=user,
            verb=verb,
            message=message,
            opportunity=submission.opportunity,
            url=f"/review/{submission.opportunity_id}/",
        )


def _notify_rep(opp: Opportunity, verb: str, message: str) -> None:
    notification_send(recipient=opp.owner, verb=verb, message=message, opportunity=opp, url=f"/opportunities/{opp.pk}/")


# --- rep actions ---------------------------------------------------------------------------------------------------


@transaction.atomic
def approval_submit(*, opportunity_id: int, actor: User, now=None) -> Opportunity:
    """Submit (or resubmit after a fix) for booking approval: checks every booking requirement, moves the stage from
    6 to 7-Closing, locks the opportunity and puts a new submission in its region's queue with its SLA clock.

    Refused with 400 and `unmet_requirements` when a requirement is not met; nothing is queued then.
    """
    opp = _lock(opportunity_id, actor)
    _require_owner(actor, opp, "submit")
    _check_transition(opp, Status.SUBMITTED, "submit")
    unmet = requirements.unmet(opp)
    if unmet:
        raise ApplicationError(
            "Some booking requirements are not met.",
            extra={"unmet_requirements": [{"code": r.code, "label": r.label, "field": r.field} for r in unmet]},
        )
    now = now or timezone.now()
    latest = Submission.objects.filter(opportunity=opp).aggregate(latest=Max("sequence"))["latest"] or 0
    times = sla_times(now, opp.region)
    quote = opp.primary_quote
    start_date = opp.start_date or (quote.start_date if quote else None) or now.date()
    submission = Submission(
        opportunity=opp,
        submitted_by=actor,
        submitted_at=now,
        region=opp.region,
        sequence=latest + 1,
        start_date=start_date,
        net_arr=opp.net_arr,
        amount=opp.amount,
        clock_started_at=times.clock_started_at,
        sla_at_risk_at=times.at_risk_at,
        sla_due_at=times.due_at,
        held_until=held_until(start_date, now),
    )
    resubmission = opp.approval_status in (Status.OM_REJECTED, Status.BILLING_REJECTED)
    before_status, before_stage = opp.approval_status, opp.stage
    moved = _move(opp, Status.SUBMITTED, stage=Opportunity.Stage.CLOSING)
    opportunity_event_record(
        opportunity=opp,
        actor=actor,
        action="resubmitted" if resubmission else "submitted",
        changes={
            "approval_status": [before_status, Status.SUBMITTED],
            "stage": [before_stage, opp.stage],
            "sla_due_at": [None, times.due_at.isoformat()],
        },
    )
    submission.save(force_insert=True)
    opp.save(update_fields=moved)
    if resubmission:
        _notify_reviewers(submission, "resubmitted", f"{opp.name} was fixed and resubmitted by {actor}.")
    return opp


@transaction.atomic
def approval_recall(*, opportunity_id: int, actor: User) -> Opportunity:
    """Take a submission back before Order Management decides; the opportunity is editable again (stage 6)."""
    opp = _lock(opportunity_id, actor)
    _require_owner(actor, opp, "recall")
    if opp.approval_status != Status.SUBMITTED:
        raise InvalidTransition(
            "Only a submission still waiting for Order Management can be recalled.", from_status=opp.approval_status
        )
    submission = _open_submission(opp)
    submission.state = State.RECALLED
    before_stage = opp.stage
    moved = _move(opp, Status.DRAFT, stage=Opportunity.Stage.AWAITING_SIGNATURE)
    opportunity_event_record(
        opportunity=opp,
        actor=actor,
        action="recalled",
        changes={"approval_status": [Status.SUBMITTED, Status.DRAFT], "stage": [before_stage, opp.stage]},
    )
    submission.save(update_fields=["state"])
    opp.save(update_fields=moved)
    return opp


@transaction.atomic
def approval_escalate(*, opportunity_id: int, actor: User, reason: str, to_region: str | None = None) -> Opportunity:
    """Flag a waiting submission urgent (it jumps to the top of its queue); optionally hand it to another region's
    team (outside its own region's hours). The SLA clock is kept as it was."""
    opp = _lock(opportunity_id, actor)
    _require_owner(actor, opp, "escalate")
    if opp.approval_status != Status.SUBMITTED:
        raise InvalidTransition(
            "Only a submission waiting in the queue can be escalated.", from_status=opp.approval_status
        )
    if not reason.strip():
        raise ValidationError({"reason": ["Say why this is urgent (customer impacting or business critical)."]})
    submission = _open_submission(opp)
    if submission.escalated and (not to_region or to_region == submission.region_id):
        raise Conflict("This submission is already escalated.")
    changes = {"escalated": [submission.escalated, True]}
    submission.escalated = True
    submission.escalation_reason = reason.strip()
    submission.escalated_at = timezone.now()
    if to_region and to_region != submission.region_id:
        try:
            region = Region.objects.get(pk=to_region)
        except Region.DoesNotExist as exc:
            raise ValidationError({"to_region": [f"Unknown region {to_region!r}."]}) from exc
        if in_business_hours(submission.escalated_at, submission.region):
            raise ValidationError(
                {
                    "to_region": [
                        f"{submission.region_id}'s team is in support hours now: hand-offs are for after hours."
                    ]
                }
            )
        changes["queue_region"] = [submission.region_id, region.pk]
        submission.original_region_id = submission.original_region_id or submission.region_id
        submission.region = region
        submission.claimed_by = None
        submission.claimed_at = None
    submission.save()
    opportunity_event_record(opportunity=opp, actor=actor, action="escalated", changes=changes, comment=reason.strip())
    _notify_reviewers(submission, "escalated", f"Escalated: {opp.name} ({reason.strip()[:120]})")
    return opp


# --- specialist / manager actions ----------------------------------------------------------------------------------


def _submitted(opp: Opportunity, action: str) -> Submission:
    if opp.approval_status != Status.SUBMITTED:
        raise InvalidTransition(
            f"Cannot {action}: this opportunity is {opp.get_approval_status_display().lower()}.",
            from_status=opp.approval_status,
        )
    return _open_submission(opp)


@transaction.atomic
def approval_claim(*, opportunity_id: int, actor: User) -> Opportunity:
    """Take a queue item. Claiming what you already hold is a no-op; somebody else's claim answers 409."""
    opp = _lock(opportunity_id, actor)
    submission = _submitted(opp, "claim")
    _require_reviewer(actor, submission)
    if submission.claimed_by_id == actor.pk:
        return opp
    if submission.claimed_by_id:
        raise Conflict(f"Already claimed by {submission.claimed_by}.", extra={"claimed_by": submission.claimed_by_id})
    submission.claimed_by = actor
    submission.claimed_at = timezone.now()
    submission.save(update_fields=["claimed_by", "claimed_at"])
    opportunity_event_record(
        opportunity=opp, actor=actor, action="claimed", changes={"claimed_by": [None, actor.username]}
    )
    return opp


@transaction.atomic
def approval_assign(*, opportunity_id: int, actor: User, assignee: User) -> Opportunity:
    """A manager hands a queue item to a specialist (or takes it)."""
    opp = _lock(opportunity_id, actor)
    if not actor.is_manager:
        raise PermissionDeniedError("Only managers reassign queue items.")
    submission = _submitted(opp, "assign")
    if not (assignee.is_specialist or assignee.is_manager) or not assignee.is_active:
        raise ValidationError({"user": ["Assign to an active Order Management specialist or manager."]})
    before = submission.claimed_by.username if submission.claimed_by else None
    submission.claimed_by = assignee
    submission.claimed_at = timezone.now()
    submission.save(update_fields=["claimed_by", "claimed_at"])
    opportunity_event_record(
        opportunity=opp, actor=actor, action="assigned", changes={"claimed_by": [before, assignee.username]}
    )
    if assignee.pk != actor.pk:
        notification_send(
            recipient=assignee,
            verb="assigned",
            message=f"{actor} assigned {opp.name} to you.",
            opportunity=opp,
            url=f"/review/{opp.pk}/",
        )
    return opp


def _claim_guard(actor: User, submission: Submission) -> None:
    """Somebody else's claim blocks a specialist; their backup and managers may act on their behalf."""
    claimer = submission.claimed_by
    if claimer is None or claimer.pk == actor.pk or actor.is_manager:
        return
    if claimer.backup_id == actor.pk:
        return
    raise Conflict(f"Claimed by {claimer}: ask them or a manager to reassign it.", extra={"claimed_by": claimer.pk})


def _decide(
    *,
    opp: Opportunity,
    submission: Submission,
    actor: User,
    decision_stage: str,
    outcome: str,
    now,
    comment: str = "",
    reasons: list[str] | None = None,
    on_behalf: User | None = None,
    opp_stage: str | None = None,
    **opp_fields,
) -> None:
    """Record one decision: the Decision row, the submission's new state and timings, the opportunity's status
    (with any extra fields) and the history line, all in the caller's transaction."""
    om = decision_stage == Decision.Stage.ORDER_MANAGEMENT
    approved = outcome == Decision.Outcome.APPROVED
    hours = _hours(submission.clock_started_at if om else submission.om_decided_at, now, submission.region)
    decision = Decision(
        submission=submission, stage=decision_stage, outcome=outcome, actor=actor, on_behalf_of=on_behalf,
        decided_at=now, reasons=reasons or [], comment=comment.strip(), business_hours=hours,
    )  # fmt: skip
    before, before_stage = opp.approval_status, opp.stage
    if om:
        to_status = Status.OM_APPROVED if approved else Status.OM_REJECTED
        submission.om_decided_at, submission.om_decided_by, submission.om_business_hours = now, actor, hours
        submission.claimed_by = submission.claimed_by or actor
        decided = ["om_decided_at", "om_decided_by", "om_business_hours", "claimed_by"]
    else:
        to_status = Status.CLOSED_WON if approved else Status.BILLING_REJECTED
        submission.billing_decided_at, submission.billing_decided_by = now, actor
        submission.billing_business_hours = hours
        decided = ["billing_decided_at", "billing_decided_by", "billing_business_hours"]
    submission.state = to_status
    # A rejection hands the deal back to the rep at stage 6, editable again.
    if not approved:
        opp_stage = Opportunity.Stage.AWAITING_SIGNATURE
    moved = _move(opp, to_status, stage=opp_stage, **opp_fields)
    changes = {"approval_status": [before, to_status]}
    if reasons:
        changes["reasons"] = reasons
    if opp_stage:
        changes["stage"] = [before_stage, opp_stage]
    changes.update({name: [None, str(value)] for name, value in opp_fields.items()})
    opportunity_event_record(
        opportunity=opp, actor=actor, on_behalf_of=on_behalf, action=to_status, changes=changes,
        comment=comment.strip(),
    )  # fmt: skip
    submission.save(update_fields=["state", *decided])
    decision.save(force_insert=True)
    opp.save(update_fields=moved)


def _reason_labels(reasons: list[str]) -> str:
    labels = dict(requirements.rejection_reasons())
    return ", ".join(labels[code] for code in reasons)


@transaction.atomic
def approval_approve(*, opportunity_id: int, actor: User, comment: str = "", now=None) -> Opportunity:
    """Order Management approval: the opportunity goes to Billing's queue. A start date more than 15 days out is
    approved and held until the earliest bookable date."""
    opp = _lock(opportunity_id, actor)
    if opp.approval_status == Status.OM_APPROVED:
        raise InvalidTransition("Already approved by Order Management.", from_status=opp.approval_status)
    submission = _submitted(opp, "approve")
    _require_reviewer(actor, submission)
    _claim_guard(actor, submission)
    _check_transition(opp, Status.OM_APPROVED, "approve")
    _decide(
        opp=opp, submission=submission, actor=actor, decision_stage=Decision.Stage.ORDER_MANAGEMENT,
        outcome=Decision.Outcome.APPROVED, now=now or timezone.now(), comment=comment,
        on_behalf=_on_behalf_of(actor, submission),
    )  # fmt: skip
    held = (
        f" Held until {submission.held_until:%Y-%m-%d} (start date more than 15 days out)."
        if submission.held_until
        else ""
    )
    _notify_rep(opp, "om_approved", f"{opp.name} was approved by Order Management and sent to Billing.{held}")
    return opp


@transaction.atomic
def approval_reject(*, opportunity_id: int, actor: User, reasons: list[str], comment: str, now=None) -> Opportunity:
    """Order Management rejection with reason codes and a comment; the rep can fix and resubmit."""
    opp = _lock(opportunity_id, actor)
    reasons = _validate_reasons(reasons, comment)
    submission = _submitted(opp, "reject")
    _require_reviewer(actor, submission)
    _claim_guard(actor, submission)
    _decide(
        opp=opp, submission=submission, actor=actor, decision_stage=Decision.Stage.ORDER_MANAGEMENT,
        outcome=Decision.Outcome.REJECTED, now=now or timezone.now(), comment=comment, reasons=reasons,
        on_behalf=_on_behalf_of(actor, submission),
    )  # fmt: skip
    _notify_rep(opp, "om_rejected", f"{opp.name} was rejected: {_reason_labels(reasons)}. {comment.strip()}")
    return opp


# --- Billing -----------------------------------------------------------------------------------------------------


@transaction.atomic
def approval_billing_approve(*, opportunity_id: int, actor: User, comment: str = "", now=None) -> Opportunity:
    """Billing's final review: the deal becomes Closed Won with today's close date (in the region's time zone)."""
    opp = _lock(opportunity_id, actor)
    _require_billing(actor)
    _check_transition(opp, Status.CLOSED_WON, "approve for billing")
    submission = _open_submission(opp)
    now = now or timezone.now()
    close_date = timezone.localdate(now, timezone=ZoneInfo(submission.region.timezone))
    _decide(
        opp=opp, submission=submission, actor=actor, decision_stage=Decision.Stage.BILLING,
        outcome=Decision.Outcome.APPROVED, now=now, comment=comment, opp_stage=Opportunity.Stage.CLOSED_WON,
        close_date=close_date,
    )  # fmt: skip
    _notify_rep(opp, "closed_won", f"{opp.name} is Closed Won. Congratulations!")
    return opp


@transaction.atomic
def approval_billing_reject(
    *, opportunity_id: int, actor: User, reasons: list[str], comment: str, now=None
) -> Opportunity:
    """Billing rejection (counts against Order Management's approval accuracy); the rep fixes and resubmits."""
    opp = _lock(opportunity_id, actor)
    _require_billing(actor)
    reasons = _validate_reasons(reasons, comment)
    _check_transition(opp, Status.BILLING_REJECTED, "reject for billing")
    _decide(
        opp=opp, submission=_open_submission(opp), actor=actor, decision_stage=Decision.Stage.BILLING,
        outcome=Decision.Outcome.REJECTED, now=now or timezone.now(), comment=comment, reasons=reasons,
    )  # fmt: skip
    _notify_rep(opp, "billing_rejected", f"Billing rejected {opp.name}: {_reason_labels(reasons)}. {comment.strip()}")
    return opp


# --- coverage and out of office --------------------------------------------------------------------------------------


@transaction.atomic
def specialist_set_coverage(*, actor: User, specialist: User, regions: list[str]) -> User:
    """A manager sets the extra regions a specialist covers (PTO, end of month or quarter)."""
    if not actor.is_manager:
        raise PermissionDeniedError("Only managers set coverage.")
    if not specialist.is_specialist:
        raise ValidationError({"specialist": ["Coverage applies to Order Management specialists."]})
    specialist.covered_regions.set(Region.objects.filter(pk__in=regions).exclude(pk=specialist.region_id))
    specialist.forget_region_codes()
    return specialist


@transaction.atomic
def specialist_set_out_of_office(*, actor: User, specialist: User, start, end, backup: User | None) -> int:
    """A manager records a specialist's absence and backup; their claimed queue items move to the backup at once,
    recorded as done on the specialist's behalf. Returns how many items moved."""
    if not actor.is_manager:
        raise PermissionDeniedError("Only managers set out-of-office delegation.")
    if backup is not None and (backup.pk == specialist.pk or not (backup.is_specialist or backup.is_manager)):
        raise ValidationError({"backup": ["Choose another specialist or a manager as backup."]})
    if start and end and end <= start:
        raise ValidationError({"out_of_office_until": ["The end must be after the start."]})
    specialist.out_of_office_from, specialist.out_of_office_until, specialist.backup = start, end, backup
    specialist.save(update_fields=["out_of_office_from", "out_of_office_until", "backup"])
    if backup is None:
        return 0
    moved = list(
        Submission.objects.select_for_update(of=("self",))
        .select_related("opportunity")
        .filter(claimed_by=specialist, state__in=Submission.OPEN_STATES)
    )
    for submission in moved:
        submission.claimed_by = backup
        submission.save(update_fields=["claimed_by"])
        opportunity_event_record(
            opportunity=submission.opportunity,
            actor=actor,
            on_behalf_of=specialist,
            action="reassigned",
            changes={"claimed_by": [specialist.username, backup.username]},
            comment="Out of office: handed to backup",
        )
    return len(moved)


@transaction.atomic
def sla_recompute(*, region: Region) -> int:
    """Re-evaluate the SLA times of the region's open submissions from their stored submission times (after a
    calendar edit). Returns how many were updated."""
    from ordermgmt.calendar import _region_calendar

    _region_calendar.cache_clear()
    from .selectors import region_calendars_clear

    region_calendars_clear()
    region = Region.objects.prefetch_related("closures").get(pk=region.pk)
    rows = list(Submission.objects.select_for_update().filter(region=region, state=State.SUBMITTED))
    for submission in rows:
        times = sla_times(submission.submitted_at, region)
        submission.clock_started_at, submission.sla_at_risk_at, submission.sla_due_at = (
            times.clock_started_at,
            times.at_risk_at,
            times.due_at,
        )
    Submission.objects.bulk_update(rows, ["clock_started_at", "sla_at_risk_at", "sla_due_at"], batch_size=500)
    return len(rows)
