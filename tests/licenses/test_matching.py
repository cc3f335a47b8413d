"""Matching deliveries to opportunities (licenses/services/matching.py): which delivery counts, on which day."""

from datetime import UTC, date, datetime

import pytest

from licenses import services
from licenses.models import LicenseDelivery, LicenseReviewRun, LicenseTicket
from ordermgmt.models import Opportunity
from tests.ordermgmt.factories import OpportunityFactory
from tests.subscriptions.factories import SubscriptionFactory

from .factories import MON, TUE, WED, LicenseDeliveryFactory, closed_won, review

pytestmark = pytest.mark.django_db


def test_a_delivery_to_the_sold_to_contact_sets_the_license_delivery_date_in_the_regions_time_zone():
    # given: delivered at 02:00 UTC on Tuesday = Monday evening in Los Angeles
    opp = closed_won()
    LicenseDeliveryFactory(opportunity=opp, delivered_at=datetime(2026, 9, 15, 2, 0, tzinfo=UTC))

    # when
    run = review(WED)

    # then
    opp.refresh_from_db()
    assert opp.license_delivery_date == MON
    assert opp.version == 2
    assert not LicenseTicket.objects.exists()
    assert list(opp.events.values_list("action", "changes")) == [
        ("license_delivered", {"license_delivery_date": [None, "2026-09-14"]})
    ]
    assert run.status == LicenseReviewRun.Status.DONE
    assert run.counts["delivered"] == 1


def test_a_delivery_naming_the_subscription_and_sold_to_email_matches_case_insensitively():
    subscription = SubscriptionFactory(name="A-S0000042")
    opp = closed_won(subscription=subscription, sold_to_email="Buyer@Customer.example")
    services.license_delivery_record(
        external_id="X1",
        subscription_name="A-S0000042",
        sold_to_email="BUYER@customer.EXAMPLE",
        delivered_at=datetime(2026, 9, 14, 18, tzinfo=UTC),
    )

    review(WED)

    opp.refresh_from_db()
    assert opp.license_delivery_date == MON
    assert not LicenseTicket.objects.exists()


def test_a_delivery_to_another_email_is_not_a_delivery_and_the_ticket_says_wrong_recipient():
    opp = closed_won(sold_to_email="buyer@customer.example")
    LicenseDeliveryFactory(opportunity=opp, sold_to_email="someone.else@customer.example")

    review(TUE)

    opp.refresh_from_db()
    assert opp.license_delivery_date is None
    ticket = LicenseTicket.objects.get()
    assert (ticket.opportunity_id, ticket.reason, ticket.sold_to_email) == (
        opp.pk,
        LicenseTicket.Reason.WRONG_RECIPIENT,
        "buyer@customer.example",
    )


def test_saas_open_and_already_delivered_deals_are_left_alone():
    closed_won(deployment=Opportunity.Deployment.SAAS)
    OpportunityFactory(stage=Opportunity.Stage.NEGOTIATING, close_date=MON)
    delivered = closed_won(license_delivery_date=date(2026, 9, 1))
    LicenseDeliveryFactory(opportunity=delivered)

    run = review(WED)

    assert not LicenseTicket.objects.exists()
    assert run.processed == 0
    delivered.refresh_from_db()
    assert delivered.license_delivery_date == date(2026, 9, 1)


def test_a_later_delivery_closes_the_ticket_when_the_job_next_runs():
    opp = closed_won()
    review(TUE)
    LicenseDelivery.objects.create(
        external_id="late",
        opportunity=opp,
        sold_to_email="buyer@customer.example",
        delivered_at=datetime(2026, 9, 15, 20, tzinfo=UTC),
    )

    run = review(WED)

    ticket = LicenseTicket.objects.get()
    assert ticket.status == LicenseTicket.Status.AUTO_CLOSED
    assert ticket.closed_at is not None
    opp.refresh_from_db()
    assert opp.license_delivery_date == TUE
    assert run.counts["tickets_auto_closed"] == 1


def test_a_delivery_after_the_as_of_day_does_not_count_for_that_day():
    opp = closed_won()
    LicenseDeliveryFactory(opportunity=opp, delivered_at=datetime(2026, 9, 17, 18, tzinfo=UTC))

    review(TUE)

    opp.refresh_from_db()
    assert opp.license_delivery_date is None
    assert LicenseTicket.objects.get().reason == LicenseTicket.Reason.NO_DELIVERY


def test_licenses_go_to_the_sold_to_email_of_the_day_the_deal_closed(rep, specialist, billing):
    from approvals import services as approvals
    from tests.ordermgmt.factories import ready_opportunity

    # given: a deal Billing closed with the Sold To buyer@..., whose contact later changes address
    opp = ready_opportunity(owner=rep, deployment=Opportunity.Deployment.SELF_MANAGED)
    approvals.approval_submit(opportunity_id=opp.pk, actor=rep)
    approvals.approval_approve(opportunity_id=opp.pk, actor=specialist)
    approvals.approval_billing_approve(opportunity_id=opp.pk, actor=billing)
    opp.refresh_from_db()
    closed_with = opp.sold_to_email_at_close
    assert closed_with == opp.primary_quote.sold_to_contact.email
    contact = opp.primary_quote.sold_to_contact
    contact.email = "new.address@customer.example"
    contact.save()
    LicenseDeliveryFactory(
        opportunity=opp, sold_to_email=closed_with.lower(), delivered_at=datetime(2026, 9, 14, 18, tzinfo=UTC)
    )

    # when
    review(WED)

    # then: the delivery to the address of the close counts; nothing is ticketed as a wrong recipient
    opp.refresh_from_db()
    assert opp.license_delivery_date == MON
    assert not LicenseTicket.objects.exists()
