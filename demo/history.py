"""The decided approval history behind every Closed Won deal, collected for one bulk insert.

Thousands of past trips through the queues are too many to replay through `approvals.services` one locked action
at a time, so the rows are built here as those services build them: the status moves checked against
`ALLOWED_TRANSITIONS` (each bumping the version), SLA times and the hold from `approvals.sla`, decision times measured
in business hours by `ordermgmt.calendar`, reason codes from the requirements engine, and the close date Billing's
approval gives. `tests/demo` holds these rows equal to what the services write for the same moves.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from approvals.models import ALLOWED_TRANSITIONS, Decision, Submission
from approvals.requirements import Deal, rejection_reasons
from approvals.selectors import region_calendars
from approvals.sla import PACIFIC, held_until, sla_times
from ordermgmt.calendar import add_business_hours, business_hours_between
from ordermgmt.models import Opportunity, Region, User

from .bookings import mistake

Status = Opportunity.ApprovalStatus
OM, BILLING = Decision.Stage.ORDER_MANAGEMENT, Decision.Stage.BILLING
APPROVED, REJECTED = Decision.Outcome.APPROVED, Decision.Outcome.REJECTED
# A decision's new status of the opportunity (and state of the submission), by stage and outcome.
DECIDED = {
    (OM, APPROVED): Status.OM_APPROVED,
    (OM, REJECTED): Status.OM_REJECTED,
    (BILLING, APPROVED): Status.CLOSED_WON,
    (BILLING, REJECTED): Status.BILLING_REJECTED,
}


class History:
    """Submissions and decisions of past trips through the queues (`book`), saved together by `save`."""

    def __init__(self, rng: random.Random, users: dict[str, User]):
        self.rng = rng
        self.regions: dict[str, Region] = region_calendars()
        self.billing = users["billing"]
        self.reviewers: dict[str, list[User]] = {}
        for user in users.values():
            if user.is_specialist:
                self.reviewers.setdefault(user.region_id, []).append(user)
        self.submissions: list[Submission] = []
        self.decisions: list[Decision] = []

    def book(self, deal: Deal) -> None:
        """Walk a Closed Won deal through the queues from a few days before its planned close until Billing approves
        it (a few are rejected on the way and resubmitted); it ends with the close date of that approval."""
        rng, opp = self.rng, deal.opportunity
        region = self.regions[opp.region_id]
        reviewer = rng.choice(self.reviewers.get(region.pk) or [self.billing])
        day = opp.close_date - timedelta(days=rng.randint(1, 4))
        at = datetime.combine(day, time(rng.randint(6, 18), rng.choice((0, 15, 30, 45))), ZoneInfo(region.timezone))
        rejected_by = [OM] * (rng.random() < 0.08) + [BILLING] * (rng.random() < 0.04)
        for sequence, rejecting in enumerate([*rejected_by, None], start=1):
            submission = self.submit(deal, at=at, sequence=sequence, region=region)
            om_hours = rng.triangular(0.3, 16, 4)
            at = self.decide(deal, submission, OM, approved=rejecting != OM, actor=reviewer, hours=om_hours)
            if rejecting != OM:
                billing_hours = rng.uniform(0.5, 8)
                at = self.decide(
                    deal, submission, BILLING, approved=rejecting is None, actor=self.billing, hours=billing_hours
                )
            at += timedelta(hours=rng.randint(2, 30))
        opp.close_date = booked_on(submission)

    def submit(self, deal: Deal, *, at: datetime, sequence: int, region: Region) -> Submission:
        """The submission `approval_submit` makes at `at`: the deal's snapshot and its SLA clock."""
        opp = deal.opportunity
        _move(opp, Status.SUBMITTED)
        times = sla_times(at, region)
        start_date = opp.start_date or (deal.quote.start_date if deal.quote else None) or at.date()
        submission = Submission(
            opportunity=opp, submitted_by_id=opp.owner_id, submitted_at=at, region=region, sequence=sequence,
            start_date=start_date, net_arr=opp.net_arr, amount=opp.amount, clock_started_at=times.clock_started_at,
            sla_at_risk_at=times.at_risk_at, sla_due_at=times.due_at, held_until=held_until(start_date, at),
        )  # fmt: skip
        if self.rng.random() < 0.05:
            submission.escalated, submission.escalation_reason, submission.escalated_at = True, "Customer go-live", at
        self.submissions.append(submission)
        return submission

    def decide(
        self, deal: Deal, submission: Submission, stage: str, *, approved: bool, actor: User, hours: float
    ) -> datetime:
        """The decision `stage` takes `hours` business hours after its clock started (Order Management: the
        submission's SLA clock; Billing: Order Management's approval), as `_decide` in `approvals.services` records
        it. Returns when it was taken."""
        om = stage == OM
        since = submission.clock_started_at if om else submission.om_decided_at
        at = add_business_hours(since, hours, submission.region)
        measured = Decimal(str(round(business_hours_between(since, at, submission.region), 2)))
        to_status = DECIDED[(stage, APPROVED if approved else REJECTED)]
        if to_status == Status.CLOSED_WON and booked_on(submission, at) != timezone.localdate(at, timezone=PACIFIC):
            _move(deal.opportunity, Status.BOOKING_HELD)  # approved and held; the beat books it on its date
        _move(deal.opportunity, to_status)
        submission.state = to_status
        if om:
            submission.om_decided_at, submission.om_decided_by, submission.om_business_hours = at, actor, measured
            submission.claimed_by = submission.claimed_by or actor
        else:
            submission.billing_decided_at, submission.billing_decided_by = at, actor
            submission.billing_business_hours = measured
        reasons = [] if approved else [mistake(deal, self.rng) or "other"]
        self.decisions.append(
            Decision(
                submission=submission, stage=stage, outcome=APPROVED if approved else REJECTED, actor=actor,
                decided_at=at, reasons=reasons, comment=_comment(stage, reasons), business_hours=measured,
            )
        )  # fmt: skip
        return at

    def save(self, batch_size: int) -> dict[str, int]:
        """Insert the collected rows (their opportunities are saved by now); how many of each."""
        Submission.objects.bulk_create(self.submissions, batch_size=batch_size)
        Decision.objects.bulk_create(self.decisions, batch_size=batch_size)
        return {"submissions (history)": len(self.submissions), "decisions": len(self.decisions)}


def booked_on(submission: Submission, approved_at: datetime | None = None) -> date:
    """The close date the services give a deal Billing approved: the day in Pacific time, or its booking date
    when the 15-day rule held it."""
    approved_on = timezone.localdate(approved_at or submission.billing_decided_at, timezone=PACIFIC)
    return max(approved_on, submission.held_until) if submission.held_until else approved_on


def _move(opp: Opportunity, to_status: str) -> None:
    """The opportunity's next approval status, only along the workflow's own state machine."""
    if to_status not in ALLOWED_TRANSITIONS[opp.approval_status]:
        raise ValueError(f"the approval workflow has no move {opp.approval_status} -> {to_status}")
    opp.approval_status = to_status
    opp.version += 1


def _comment(stage: str, reasons: list[str]) -> str:
    if not reasons:
        return "Approved" if stage == OM else ""
    labels = dict(rejection_reasons())
    return f"Not met: {'; '.join(labels[code] for code in reasons)}. Please fix and resubmit."
