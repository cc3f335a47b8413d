"""The rep's moves: submit (or resubmit after a fix), recall, escalate."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ordermgmt.calendar import in_business_hours
from ordermgmt.exceptions import (
    ApplicationError,
    Conflict,
    InvalidTransition,
)
from ordermgmt.models import Opportunity, Region, User
from ordermgmt.services import opportunity_event_record
from ordermgmt.services.integration import integration_event_emit

from .. import requirements
from ..models import Submission
from ..sla import held_until, sla_times
from .guards import (
    State,
    Status,
    _check_transition,
    _lock,
    _move,
    _notify_region_managers,
    _notify_reviewers,
    _open_submission,
    _require_owner,
)


@transaction.atomic
def approval_submit(*, opportunity_id: int, actor: User, now=None) -> Opportunity:
    """Submit (or resubmit after a fix) for booking approval: checks every booking requirement, moves the stage from
    6 to 7-Closing, locks the opportunity and puts a new submission in its region's queue with its SLA clock.

    Refused with 400 and `unmet_requirements` when a requirement is not met; nothing is queued then.
    """
    opp = _lock(opportunity_id, actor)
    _require_owner(actor, opp, "submit")
    if opp.approval_status == Status.NEEDS_INFO:
        raise InvalidTransition(
            "A reviewer is waiting for your answer: answer the question instead of submitting again.",
            from_status=opp.approval_status,
        )
    _check_transition(opp, Status.SUBMITTED, "submit")
    unmet = requirements.unmet(requirements.Deal.of(opp))
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
    integration_event_emit(kind="opportunity.submitted", opportunity=opp, data={"resubmission": resubmission})
    if resubmission:
        _notify_reviewers(submission, "resubmitted", f"{opp.name} was fixed and resubmitted by {actor}.")
    else:
        _notify_reviewers(submission, "submitted", f"New in the {submission.region_id} queue: {opp.name} from {actor}.")
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
    _notify_region_managers(
        submission, "escalated", f"{actor} escalated {opp.name} in the {submission.region_id} queue: {reason.strip()}"
    )
    return opp
