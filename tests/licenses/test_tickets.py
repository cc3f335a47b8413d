"""License tickets (licenses/services/tickets.py): when the review opens one and why, and the ticket's moves."""

from datetime import UTC, date, datetime

import pytest

from licenses import services
from licenses.models import LicenseTicket
from ordermgmt.exceptions import InvalidTransition
from ordermgmt.models import Opportunity, RegionClosure
from tests.ordermgmt.factories import region

from .factories import MON, TUE, WED, LicenseTicketFactory, SupportEngineerFactory, closed_won, review

pytestmark = pytest.mark.django_db


def test_undelivered_after_one_business_day_opens_one_ticket_addressed_to_the_sold_to_contact():
    opp = closed_won(sold_to_email="Buyer@Customer.example")

    run = review(TUE)

    ticket = LicenseTicket.objects.get()
    assert ticket.reason == LicenseTicket.Reason.NO_DELIVERY
    assert ticket.sold_to_email == "buyer@customer.example"
    assert ticket.status == LicenseTicket.Status.OPEN
    assert (ticket.region_id, ticket.route_to_market, ticket.run_id) == ("AMER", "direct", run.pk)
    assert list(opp.events.values_list("action", flat=True)) == ["license_ticket_opened"]
    assert run.counts["reason:no_delivery"] == 1


def test_within_the_grace_period_nothing_is_ticketed():
    closed_won()

    run = review(MON)

    assert not LicenseTicket.objects.exists()
    assert run.counts["waiting"] == 1


@pytest.mark.parametrize("route", ["aws_private_offer", "gcp_private_offer"])
def test_marketplace_deals_get_two_business_days(route):
    closed_won(route_to_market=route)

    review(TUE)
    assert not LicenseTicket.objects.exists()

    review(WED)
    assert LicenseTicket.objects.get().route_to_market == route


def test_weekends_and_region_closures_do_not_count_as_grace():
    friday_deal = closed_won(close_date=date(2026, 9, 18))
    RegionClosure.objects.create(region=region("AMER"), date=date(2026, 9, 21), reason="Company day off")

    review(date(2026, 9, 20))  # Sunday
    review(date(2026, 9, 21))  # Monday, closed
    assert not LicenseTicket.objects.exists()

    review(date(2026, 9, 22))  # Tuesday: the first business day after the Friday close
    assert LicenseTicket.objects.get().opportunity_id == friday_deal.pk


def test_ibm_oem_is_ticketed_at_once_on_the_close_day():
    closed_won(route_to_market=Opportunity.Route.IBM_OEM)

    review(MON)

    assert LicenseTicket.objects.get().reason == LicenseTicket.Reason.IBM_OEM_MANUAL


def test_missing_sold_to_email_and_missing_primary_quote_are_their_own_reasons():
    no_email = closed_won(sold_to_email="")
    no_quote = closed_won(quote=False)

    review(TUE)

    reasons = dict(LicenseTicket.objects.values_list("opportunity_id", "reason"))
    assert reasons == {
        no_email.pk: LicenseTicket.Reason.MISSING_SOLD_TO_EMAIL,
        no_quote.pk: LicenseTicket.Reason.NO_PRIMARY_QUOTE,
    }
    assert LicenseTicket.objects.get(opportunity=no_email).sold_to_email == ""


def test_take_then_mark_delivered_sets_the_date_and_records_history():
    engineer = SupportEngineerFactory()
    ticket = LicenseTicketFactory(opportunity=closed_won())

    services.license_ticket_take(ticket_id=ticket.pk, actor=engineer)
    services.license_ticket_take(ticket_id=ticket.pk, actor=engineer)  # repeat: no-op
    services.license_ticket_mark_delivered(ticket_id=ticket.pk, actor=engineer, delivered_on=WED)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id) == (LicenseTicket.Status.DELIVERED, engineer.pk)
    assert ticket.closed_at is not None
    ticket.opportunity.refresh_from_db()
    assert ticket.opportunity.license_delivery_date == WED
    assert list(ticket.opportunity.events.values_list("action", flat=True)) == [
        "license_ticket_taken",
        "license_delivered",
    ]


def test_a_ticket_that_closed_itself_cannot_be_marked_delivered():
    ticket = LicenseTicketFactory(status=LicenseTicket.Status.AUTO_CLOSED, closed_at=datetime(2026, 9, 15, tzinfo=UTC))

    with pytest.raises(InvalidTransition):
        services.license_ticket_mark_delivered(ticket_id=ticket.pk, actor=SupportEngineerFactory())

    ticket.opportunity.refresh_from_db()
    assert ticket.opportunity.license_delivery_date is None


def test_the_database_refuses_a_second_open_ticket_for_one_opportunity():
    from django.db import IntegrityError

    ticket = LicenseTicketFactory()
    with pytest.raises(IntegrityError):
        LicenseTicketFactory(opportunity=ticket.opportunity, status=LicenseTicket.Status.TAKEN)
