"""Booking dates: held deals (start date more than 15 days out) close as Won on their date, by the beat, or earlier
by a manager with a reason; and the period lock (a month's bookings lock after the 5th business day of the next
month, Pacific time)."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ordermgmt.exceptions import Conflict, InvalidTransition, PermissionDeniedError
from ordermgmt.models import Opportunity, User
from ordermgmt.selectors import opportunity_locked
from ordermgmt.services import opportunity_event_record
from ordermgmt.services.integration import integration_event_emit

from ..models import Submission
from ..sla import PACIFIC, month_locked_after
from .decisions import sold_to_email
from .guards import State, Status, _lock, _move, _notify_rep, _open_submission


def _book(opp: Opportunity, submission: Submission, *, close_date: date, actor: User | None, comment: str) -> None:
    """Close a held deal as Won on `close_date`: the submission, the opportunity and the history line."""
    before_stage = opp.stage
    submission.state = State.CLOSED_WON
    moved = _move(
        opp,
        Status.CLOSED_WON,
        stage=Opportunity.Stage.CLOSED_WON,
        close_date=close_date,
        sold_to_email_at_close=sold_to_email(opp),
    )
    opportunity_event_record(
        opportunity=opp,
        actor=actor,
        action=Status.CLOSED_WON,
        changes={
            "approval_status": [Status.BOOKING_HELD, Status.CLOSED_WON],
            "stage": [before_stage, opp.stage],
            "close_date": [None, close_date.isoformat()],
        },
        comment=comment,
    )
    submission.save(update_fields=["state"])
    opp.save(update_fields=moved)
    integration_event_emit(kind="opportunity.closed_won", opportunity=opp)
    _notify_rep(opp, "closed_won", f"{opp.name} is Closed Won (booked on {close_date:%Y-%m-%d}).")


def held_bookings_close(*, now: datetime | None = None) -> int:
    """Close as Won every held deal whose booking date has come (in Pacific time), each on its own date; one
    transaction per deal, so one refusal never blocks the others. Idempotent. Returns how many were booked."""
    today = timezone.localdate(now or timezone.now(), timezone=PACIFIC)
    due = Submission.objects.filter(state=State.BOOKING_HELD, held_until__lte=today).values_list(
        "opportunity_id", flat=True
    )
    booked = 0
    for opportunity_id in list(due):
        with transaction.atomic():
            opp = opportunity_locked(Opportunity.objects.all(), opportunity_id)
            submission = _open_submission(opp) if opp is not None else None
            if submission is None or submission.state != State.BOOKING_HELD:
                continue  # booked meanwhile (a manager's override, another scheduler)
            _book(opp, submission, close_date=submission.held_until, actor=None, comment="Booking date reached.")
            booked += 1
    return booked


@transaction.atomic
def approval_book_now(*, opportunity_id: int, actor: User, reason: str, now: datetime | None = None) -> Opportunity:
    """A manager books a held deal before its date, with a reason (recorded); it closes today (Pacific)."""
    opp = _lock(opportunity_id, actor)
    if not actor.is_manager:
        raise PermissionDeniedError("Only managers book a held deal before its date.")
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Say why this deal books before its date."]})
    if opp.approval_status != Status.BOOKING_HELD:
        raise InvalidTransition("Only a deal approved and held for its booking date can be booked now.",
                                from_status=opp.approval_status)  # fmt: skip
    today = timezone.localdate(now or timezone.now(), timezone=PACIFIC)
    submission = _open_submission(opp)
    _book(opp, submission, close_date=today, actor=actor, comment=f"Booked before {submission.held_until}: {reason}")
    return opp


# What a booking is: the fields a change to a locked month's Closed Won deal may only make through a correction.
BOOKED_FIELDS = ("amount", "net_arr", "start_date", "end_date", "close_date")


def booking_lock_check(opp: Opportunity, *, now: datetime | None = None) -> None:
    """Refuse a change to a Closed Won deal whose booking month is locked: it needs a correction instead."""
    if opp.approval_status != Status.CLOSED_WON or opp.close_date is None:
        return
    if (now or timezone.now()) > month_locked_after(opp.close_date):
        raise Conflict(
            f"{opp.close_date:%B %Y} is locked: change this Closed Won deal through a correction.",
            extra={"locked_month": f"{opp.close_date:%Y-%m}"},
        )
