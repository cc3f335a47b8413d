"""Database constraints back every invariant of the shared records."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from ordermgmt.models import Opportunity, Quote, User
from tests.ordermgmt.factories import AccountFactory, OpportunityFactory, QuoteFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "value"),
    [("amount", Decimal("-1")), ("arr_basis", Decimal("-0.01"))],
)
def test_negative_amounts_are_refused_by_the_database(field, value):
    opp = OpportunityFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Opportunity.objects.filter(pk=opp.pk).update(**{field: value})


def test_end_date_before_start_date_is_refused_by_the_database():
    opp = OpportunityFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Opportunity.objects.filter(pk=opp.pk).update(start_date=date(2026, 5, 2), end_date=date(2026, 5, 1))


def test_only_one_primary_quote_per_opportunity():
    quote = QuoteFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Quote.objects.create(opportunity=quote.opportunity, number="Q-OTHER", is_primary=True)
    # a second, non-primary quote is fine
    Quote.objects.create(opportunity=quote.opportunity, number="Q-ALT", is_primary=False)
    assert quote.opportunity.quotes.count() == 2


def test_closed_won_status_requires_closed_won_stage():
    opp = OpportunityFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Opportunity.objects.filter(pk=opp.pk).update(approval_status="closed_won")


def test_regional_roles_need_a_region():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="noregion", role=User.Role.SPECIALIST, region=None)
    assert User.objects.create(username="mgr-noregion", role=User.Role.MANAGER).region is None


def test_account_country_must_be_iso_alpha2():
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountFactory(country="us")


def test_booked_arr_is_net_arr_plus_arr_basis():
    opp = OpportunityFactory(net_arr=Decimal("1000.00"), arr_basis=Decimal("250.50"))
    assert opp.booked_arr == Decimal("1250.50")


def test_regions_are_seeded_with_the_handbook_hours():
    from ordermgmt.models import Region

    amer, emea, apac = (Region.objects.get(pk=c) for c in ("AMER", "EMEA", "APAC"))
    assert (amer.timezone, str(amer.support_start), str(amer.support_end)) == (
        "America/Los_Angeles",
        "07:00:00",
        "17:00:00",
    )
    assert (emea.timezone, emea.holiday_country, emea.holiday_subdivision) == ("Etc/GMT", "GB", "ENG")
    assert (apac.timezone, str(apac.support_start), str(apac.support_end)) == ("Asia/Manila", "09:00:00", "18:00:00")
    assert {str(r.cutoff) for r in (amer, emea, apac)} == {"16:30:00"}


def test_user_factory_makes_regional_users():
    assert UserFactory(role=User.Role.SPECIALIST).region_id == "AMER"


@pytest.mark.parametrize(
    "url",
    [
        "/admin/ordermgmt/opportunity/?q=acme&stage__exact=closed_won",
        "/admin/ordermgmt/account/?q=x",
        "/admin/ordermgmt/user/?role__exact=specialist",
        "/admin/approvals/submission/?state__exact=submitted",
        "/admin/approvals/decision/",
        "/admin/subscriptions/subscription/?q=A-S",
        "/admin/subscriptions/discrepancy/",
        "/admin/ordermgmt/opportunityevent/",
    ],
)
def test_admin_lists_search_and_filter(client, url):
    from tests.approvals.factories import DecisionFactory

    DecisionFactory()
    admin = UserFactory(role=User.Role.MANAGER, is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get(url).status_code == 200
