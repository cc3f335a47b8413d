"""License tickets for Support Engineering: when the review opens one (grace per route to market, failure reason),
and the ticket's moves afterwards (take, mark delivered by hand)."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ordermgmt.calendar import calendar_for
from ordermgmt.exceptions import InvalidTransition
from ordermgmt.models import Opportunity, Region, User
from ordermgmt.services import opportunity_event_record, opportunity_events_record
from ordermgmt.services.integration import integration_events_emit

from ..models import ALLOWED_TRANSITIONS, LicenseReviewRun, LicenseTicket
from .matching import license_delivery_date_set

MARKETPLACE_ROUTES = (Opportunity.Route.AWS_PRIVATE_OFFER, Opportunity.Route.GCP_PRIVATE_OFFER)


# --- opening: grace and reason ---------------------------------------------------------------------------------------


def nth_business_day_back(*, region: Region, as_of: date, n: int) -> date:
    """The n-th business day of the region counting back from `as_of` (inclusive); `as_of` itself when n == 0."""
    if n <= 0:
        return as_of
    cal = calendar_for(region)
    day, seen = as_of, 0
    while True:
        if cal.is_business_day(day):
            seen += 1
            if seen == n:
                return day
        day -= timedelta(days=1)


def grace_cutoffs(*, region: Region, as_of: date) -> dict[str, date | None]:
    """Per route to market: an opportunity closed *before* this date is past its grace period on `as_of`.

    Grace is counted in business days of the region after the close date: with 1 day, a deal closed on Monday
    is ticketed by Tuesday's run. IBM OEM has no grace (`None`: ticket at once).
    """
    normal = nth_business_day_back(
        region=region, as_of=as_of, n=getattr(settings, "LICENSE_REVIEW_GRACE_BUSINESS_DAYS", 1)
    )
    marketplace = nth_business_day_back(
        region=region, as_of=as_of, n=getattr(settings, "LICENSE_REVIEW_MARKETPLACE_GRACE_BUSINESS_DAYS", 2)
    )
    cutoffs: dict[str, date | None] = {route: normal for route in Opportunity.Route.values}
    cutoffs.update({route: marketplace for route in MARKETPLACE_ROUTES})
    cutoffs[Opportunity.Route.IBM_OEM] = None
    return cutoffs


def _past_grace(*, route: str, close_date: date | None, as_of: date, cutoffs: dict[str, date | None]) -> bool:
    if close_date is None:  # Closed Won without a close date: nothing to wait for.
        return True
    cutoff = cutoffs[route]
    return close_date <= as_of if cutoff is None else close_date < cutoff


def _failure_reason(*, route: str, has_quote: bool, sold_to: str | None, wrong_recipient: bool) -> str:
    if route == Opportunity.Route.IBM_OEM:
        return LicenseTicket.Reason.IBM_OEM_MANUAL
    if not has_quote:
        return LicenseTicket.Reason.NO_PRIMARY_QUOTE
    if not sold_to:
        return LicenseTicket.Reason.MISSING_SOLD_TO_EMAIL
    if wrong_recipient:
        return LicenseTicket.Reason.WRONG_RECIPIENT
    return LicenseTicket.Reason.NO_DELIVERY


def tickets_open(*, rows: list, region: Region, as_of: date, run: LicenseReviewRun | None) -> list[LicenseTicket]:
    """Open one ticket per undelivered row past its grace without an open ticket, with its history line.

    `rows` are the review's annotated rows (see `review.review_chunk`), locked by the caller's transaction.
    """
    cutoffs = grace_cutoffs(region=region, as_of=as_of)
    tickets = [
        LicenseTicket(
            opportunity_id=row.pk,
            run=run,
            region=region,
            route_to_market=row.route_to_market,
            reason=_failure_reason(
                route=row.route_to_market,
                has_quote=row.has_quote,
                sold_to=row.sold_to,
                wrong_recipient=row.wrong_recipient,
            ),
            sold_to_email=row.sold_to or "",
        )
        for row in rows
        if row.delivered_on is None
        and not row.has_open_ticket
        and _past_grace(route=row.route_to_market, close_date=row.close_date, as_of=as_of, cutoffs=cutoffs)
    ]
    # No ignore_conflicts: the partial unique constraint is the backstop; hitting it rolls the chunk back.
    LicenseTicket.objects.bulk_create(tickets, batch_size=1000)
    opportunity_events_record(
        action="license_ticket_opened",
        lines={
            ticket.opportunity_id: (
                {"license_ticket": [None, ticket.pk]},
                f"License ticket for Support Engineering: {ticket.reason}.",
            )
            for ticket in tickets
        },
    )
    integration_events_emit(
        kind="license_ticket.opened",
        items=(
            {"license_ticket": {"id": t.pk, "reason": t.reason}, "opportunity": {"id": t.opportunity_id}}
            for t in tickets
        ),
    )
    return tickets


# --- moves -----------------------------------------------------------------------------------------------------------


def _ticket_transition(*, ticket_id: int, to_status: str, actor: User | None) -> tuple[LicenseTicket, bool]:
    """Lock the ticket and move it; returns (ticket, changed). Same status again is a no-op."""
    ticket = LicenseTicket.objects.select_for_update(no_key=True).get(pk=ticket_id)
    if ticket.status == to_status:
        return ticket, False
    if to_status not in ALLOWED_TRANSITIONS[ticket.status]:
        raise InvalidTransition(entity="license ticket", from_status=ticket.status, to_status=to_status)
    ticket.status = to_status
    update_fields = ["status", "updated_at"]
    if to_status not in LicenseTicket.OPEN_STATUSES:
        ticket.closed_at = timezone.now()
        update_fields.append("closed_at")
    if to_status == LicenseTicket.Status.TAKEN:
        ticket.assignee = actor
        update_fields.append("assignee")
    ticket.save(update_fields=update_fields)
    return ticket, True


@transaction.atomic
def license_ticket_take(*, ticket_id: int, actor: User) -> LicenseTicket:
    """Support Engineering takes a ticket (assigns it to themselves). Taking it again is a no-op."""
    ticket, changed = _ticket_transition(ticket_id=ticket_id, to_status=LicenseTicket.Status.TAKEN, actor=actor)
    if changed:
        opportunity_event_record(
            opportunity=ticket.opportunity,
            actor=actor,
            action="license_ticket_taken",
            changes={"license_ticket": [ticket.pk, ticket.status]},
        )
    return ticket


@transaction.atomic
def license_ticket_mark_delivered(
    *, ticket_id: int, actor: User, delivered_on: date | None = None, comment: str = ""
) -> LicenseTicket:
    """Support Engineering delivered the license by hand: close the ticket and set License Delivery Date.

    Repeating it is a no-op; a ticket that closed itself (delivery arrived) raises InvalidTransition. An already
    confirmed date is kept (first delivery wins); the row needs no lock for its other fields.
    """
    ticket, changed = _ticket_transition(ticket_id=ticket_id, to_status=LicenseTicket.Status.DELIVERED, actor=actor)
    if not changed:
        return ticket
    delivered_on = delivered_on or timezone.localdate()
    updated = license_delivery_date_set(opportunity_ids=[ticket.opportunity_id], value=delivered_on, now=timezone.now())
    opportunity_event_record(
        opportunity=ticket.opportunity,
        actor=actor,
        action="license_delivered",
        changes={"license_delivery_date": [None, delivered_on.isoformat()]} if updated else {},
        comment=comment or f"Delivered by hand to {ticket.sold_to_email or 'the customer'} (ticket {ticket.pk}).",
    )
    return ticket
