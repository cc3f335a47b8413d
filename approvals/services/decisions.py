"""Order Management's and Billing's decisions: approve and reject, each with its Decision row, the submission's
new state and timings, the opportunity's status and the history line."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ordermgmt.exceptions import (
    InvalidTransition,
)
from ordermgmt.models import Opportunity, User
from ordermgmt.services import opportunity_event_record
from ordermgmt.services.integration import integration_event_emit

from ..models import Decision, Submission
from ..sla import PACIFIC
from .guards import (
    Status,
    _check_transition,
    _claim_guard,
    _hours,
    _lock,
    _move,
    _notify_billing,
    _notify_rep,
    _on_behalf_of,
    _open_submission,
    _reason_labels,
    _require_billing,
    _require_reviewer,
    _submitted,
    _validate_reasons,
)
from .verification import checklist_for_approval, failed_reasons


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
    to_status: str | None = None,
    **opp_fields,
) -> None:
    """Record one decision: the Decision row, the submission's new state and timings, the opportunity's status
    (with any extra fields) and the history line, all in the caller's transaction."""
    om = decision_stage == Decision.Stage.ORDER_MANAGEMENT
    approved = outcome == Decision.Outcome.APPROVED
    # Business hours of the stage, without the time the item spent with the rep (needs information).
    with_rep = submission.om_rep_hours if om else submission.billing_rep_hours
    hours = _hours(submission.clock_started_at if om else submission.om_decided_at, now, submission.region)
    hours = max(hours - with_rep, Decimal("0"))
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
        to_status = to_status or (Status.CLOSED_WON if approved else Status.BILLING_REJECTED)
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
    integration_event_emit(
        kind=f"opportunity.{decision.stage}_{decision.outcome}", opportunity=opp, data={"reasons": reasons or []}
    )


@transaction.atomic
def approval_approve(
    *, opportunity_id: int, actor: User, comment: str = "", verified: list[str] | None = None, now=None
) -> Opportunity:
    """Order Management approval: the opportunity goes to Billing's queue. A start date more than 15 days out is
    approved and held until the earliest bookable date. The checklist must be verified end to end (`verified`: the
    items ticked with this call; see `checklist_for_approval`), and nothing on it failed."""
    opp = _lock(opportunity_id, actor)
    if opp.approval_status == Status.OM_APPROVED:
        raise InvalidTransition("Already approved by Order Management.", from_status=opp.approval_status)
    submission = _submitted(opp, "approve")
    _require_reviewer(actor, submission)
    _claim_guard(actor, submission)
    _check_transition(opp, Status.OM_APPROVED, "approve")
    now = now or timezone.now()
    checklist_for_approval(opp, submission, actor, verified, now)
    _decide(
        opp=opp, submission=submission, actor=actor, decision_stage=Decision.Stage.ORDER_MANAGEMENT,
        outcome=Decision.Outcome.APPROVED, now=now, comment=comment,
        on_behalf=_on_behalf_of(actor, submission),
    )  # fmt: skip
    held = (
        f" Held until {submission.held_until:%Y-%m-%d} (start date more than 15 days out)."
        if submission.held_until
        else ""
    )
    _notify_rep(opp, "om_approved", f"{opp.name} was approved by Order Management and sent to Billing.{held}")
    _notify_billing(opp, f"{opp.name} ({opp.account.name}) was approved by {actor} and waits for Billing's review.")
    return opp


@transaction.atomic
def approval_reject(*, opportunity_id: int, actor: User, reasons: list[str], comment: str, now=None) -> Opportunity:
    """Order Management rejection with reason codes and a comment; the rep can fix and resubmit. The reasons of the
    items the reviewer marked failed on the checklist join the ones given."""
    opp = _lock(opportunity_id, actor)
    reasons = _validate_reasons([*reasons, *failed_reasons(opp)], comment)
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


@transaction.atomic
def approval_billing_approve(*, opportunity_id: int, actor: User, comment: str = "", now=None) -> Opportunity:
    """Billing's final review. The deal becomes Closed Won, in the period of the day it is approved in Pacific time
    (a period closes at 23:59 America/Los_Angeles whatever the region); a start date more than 15 days out is
    approved and held: "approved, booking on <date>", closed as Won on that date by the beat."""
    opp = _lock(opportunity_id, actor)
    _require_billing(actor)
    _check_transition(opp, Status.CLOSED_WON, "approve for billing")
    submission = _open_submission(opp)
    now = now or timezone.now()
    today = timezone.localdate(now, timezone=PACIFIC)
    if submission.held_until and submission.held_until > today:
        _decide(
            opp=opp, submission=submission, actor=actor, decision_stage=Decision.Stage.BILLING,
            outcome=Decision.Outcome.APPROVED, now=now, comment=comment, to_status=Status.BOOKING_HELD,
        )  # fmt: skip
        _notify_rep(
            opp, "booking_held", f"{opp.name} is approved by Billing and books on {submission.held_until:%Y-%m-%d}."
        )
        return opp
    _decide(
        opp=opp, submission=submission, actor=actor, decision_stage=Decision.Stage.BILLING,
        outcome=Decision.Outcome.APPROVED, now=now, comment=comment, opp_stage=Opportunity.Stage.CLOSED_WON,
        close_date=today, sold_to_email_at_close=sold_to_email(opp),
    )  # fmt: skip
    integration_event_emit(kind="opportunity.closed_won", opportunity=opp)
    _notify_rep(opp, "closed_won", f"{opp.name} is Closed Won. Congratulations!")
    return opp


def sold_to_email(opp: Opportunity) -> str:
    """The Sold To address as it is when the deal closes (license delivery uses it, not a later edit)."""
    quote = opp.primary_quote
    sold_to = quote.sold_to_contact if quote is not None else None
    return sold_to.email if sold_to is not None else ""


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
