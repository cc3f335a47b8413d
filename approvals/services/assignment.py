"""Who works a queue item: claim, a manager's assignment, and the SLA re-evaluation after a calendar edit (coverage
and out of office are in `coverage`)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ordermgmt.calendar import add_business_hours, calendar_cache_clear
from ordermgmt.exceptions import (
    Conflict,
    PermissionDeniedError,
)
from ordermgmt.models import Opportunity, Region, User
from ordermgmt.services import notification_send, opportunity_event_record

from .. import selectors
from ..models import Submission
from ..sla import sla_times
from .guards import (
    State,
    _lock,
    _require_reviewer,
    _submitted,
)


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
def approval_unclaim(*, opportunity_id: int, actor: User) -> Opportunity:
    """Put a claimed item back in the queue unclaimed. Unclaiming an unclaimed item is a no-op; a specialist may
    release only their own claim (a manager anyone's): somebody else's answers 409."""
    opp = _lock(opportunity_id, actor)
    submission = _submitted(opp, "unclaim")
    _require_reviewer(actor, submission)
    if submission.claimed_by_id is None:
        return opp
    if submission.claimed_by_id != actor.pk and not actor.is_manager:
        raise Conflict(f"Claimed by {submission.claimed_by}, not you.", extra={"claimed_by": submission.claimed_by_id})
    before = submission.claimed_by.username
    submission.claimed_by = None
    submission.claimed_at = None
    submission.save(update_fields=["claimed_by", "claimed_at"])
    opportunity_event_record(opportunity=opp, actor=actor, action="unclaimed", changes={"claimed_by": [before, None]})
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
            url=reverse("approvals:review", args=[opp.pk]),
        )
    return opp


@transaction.atomic
def sla_recompute(*, region: Region) -> int:
    """Re-evaluate the SLA times of the region's open submissions from their stored submission times (after a
    calendar edit). Returns how many were updated."""
    calendar_cache_clear()
    selectors.region_calendars_clear()
    region = Region.objects.prefetch_related("closures").get(pk=region.pk)
    rows = list(Submission.objects.select_for_update().filter(region=region, state=State.SUBMITTED))
    for submission in rows:
        times = sla_times(submission.submitted_at, region)
        paused = float(submission.om_rep_hours)  # time with the rep (needs information) still does not count
        submission.clock_started_at = times.clock_started_at
        submission.sla_at_risk_at = add_business_hours(times.at_risk_at, paused, region) if paused else times.at_risk_at
        submission.sla_due_at = add_business_hours(times.due_at, paused, region) if paused else times.due_at
    Submission.objects.bulk_update(rows, ["clock_started_at", "sla_at_risk_at", "sla_due_at"], batch_size=500)
    return len(rows)
