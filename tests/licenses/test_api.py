"""The licenses API: the delivery feed, tickets and failure counts, with role scoping."""

from datetime import date

import pytest

from licenses.models import LicenseDelivery, LicenseTicket
from tests.ordermgmt.factories import RepFactory, SpecialistFactory, region

from .factories import IntegrationUserFactory, LicenseTicketFactory, SupportEngineerFactory, closed_won

pytestmark = pytest.mark.django_db

DELIVERIES = "/api/licenses/deliveries/"
TICKETS = "/api/licenses/tickets/"
FAILURES = "/api/licenses/failures/"


@pytest.fixture
def engineer():
    return SupportEngineerFactory()


def delivery_body(opp, **overrides):
    return {
        "external_id": "LIC-1",
        "opportunity": opp.pk,
        "sold_to_email": "buyer@customer.example",
        "delivered_at": "2026-09-14T18:00:00+00:00",
        **overrides,
    }


def test_an_integration_token_posts_a_delivery_and_a_repeat_is_idempotent(as_user):
    opp = closed_won()
    client = as_user(IntegrationUserFactory())

    first = client.post(DELIVERIES, delivery_body(opp), format="json")
    again = client.post(DELIVERIES, delivery_body(opp), format="json")

    assert first.status_code == 201, first.json()
    assert again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert LicenseDelivery.objects.count() == 1
    opp.refresh_from_db()
    assert opp.license_delivery_date == date(2026, 9, 14)


def test_the_same_external_id_with_other_content_is_409(as_user):
    opp = closed_won()
    client = as_user(IntegrationUserFactory())
    client.post(DELIVERIES, delivery_body(opp), format="json")

    response = client.post(DELIVERIES, delivery_body(opp, sold_to_email="x@customer.example"), format="json")

    assert response.status_code == 409
    assert response.json()["fields"] == ["sold_to_email"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"external_id": ""}, "external_id"),
        ({"sold_to_email": "not-an-email"}, "sold_to_email"),
        ({"delivered_at": "yesterday"}, "delivered_at"),
        ({"opportunity": 999999999}, "opportunity"),
        ({"opportunity": "abc"}, "opportunity"),
        ({"opportunity": None, "subscription_name": ""}, "opportunity"),
        ({"external_id": "x" * 101}, "external_id"),
    ],
)
def test_bad_delivery_input_is_400_naming_the_field(as_user, overrides, field):
    opp = closed_won()

    response = as_user(IntegrationUserFactory()).post(DELIVERIES, delivery_body(opp, **overrides), format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not LicenseDelivery.objects.exists()


def test_a_non_object_body_is_400_not_500(as_user):
    response = as_user(IntegrationUserFactory()).post(DELIVERIES, [1, 2], format="json")
    assert response.status_code == 400


def test_integration_tokens_reach_only_the_feed(as_user):
    client = as_user(IntegrationUserFactory())

    assert client.get(DELIVERIES).status_code == 403
    assert client.get(TICKETS).status_code == 403
    assert client.get(FAILURES).status_code == 403
    assert client.get("/api/opportunities/").status_code == 403


def test_support_engineering_reads_the_feed_and_reps_may_not_post(as_user, engineer, rep):
    opp = closed_won()
    as_user(engineer).post(DELIVERIES, delivery_body(opp), format="json")

    listed = as_user(engineer).get(DELIVERIES)
    refused = as_user(rep).post(DELIVERIES, delivery_body(opp, external_id="LIC-2"), format="json")

    assert listed.status_code == 200
    assert [d["external_id"] for d in listed.json()["results"]] == ["LIC-1"]
    assert refused.status_code == 403


def test_ticket_list_shape_filters_and_constant_query_count(as_user, engineer, django_assert_max_num_queries):
    open_ticket = LicenseTicketFactory(opportunity=closed_won())
    LicenseTicketFactory(opportunity=closed_won(), reason=LicenseTicket.Reason.WRONG_RECIPIENT)
    client = as_user(engineer)

    with django_assert_max_num_queries(4):
        response = client.get(TICKETS, {"status": "open", "reason": "no_delivery"})

    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert {k: row[k] for k in ("id", "opportunity", "sold_to_email", "reason", "status")} == {
        "id": open_ticket.pk,
        "opportunity": open_ticket.opportunity_id,
        "sold_to_email": "buyer@customer.example",
        "reason": "no_delivery",
        "status": "open",
    }
    assert "created_at" in row


def test_a_bad_filter_value_is_400_naming_it(as_user, engineer):
    response = as_user(engineer).get(TICKETS, {"status": "nonsense"})
    assert response.status_code == 400
    assert "status" in response.json()


def test_specialists_see_their_regions_tickets_and_reps_get_403(as_user, rep):
    amer = LicenseTicketFactory(opportunity=closed_won())
    LicenseTicketFactory(opportunity=closed_won(owner__region=region("EMEA")))

    specialist_view = as_user(SpecialistFactory()).get(TICKETS)
    rep_view = as_user(rep).get(TICKETS)

    assert [t["id"] for t in specialist_view.json()["results"]] == [amer.pk]
    assert rep_view.status_code == 403


def test_take_and_mark_delivered_through_the_api(as_user, engineer):
    ticket = LicenseTicketFactory(opportunity=closed_won())
    client = as_user(engineer)

    taken = client.post(f"{TICKETS}{ticket.pk}/take/")
    delivered = client.post(f"{TICKETS}{ticket.pk}/mark-delivered/", {"delivered_on": "2026-09-16"}, format="json")
    again = client.post(f"{TICKETS}{ticket.pk}/take/")

    assert taken.json()["status"] == "taken"
    assert delivered.json()["status"] == "delivered"
    assert again.status_code == 409
    ticket.opportunity.refresh_from_db()
    assert ticket.opportunity.license_delivery_date == date(2026, 9, 16)


def test_specialists_may_not_work_tickets_and_bad_dates_are_400(as_user, engineer):
    ticket = LicenseTicketFactory(opportunity=closed_won())

    refused = as_user(SpecialistFactory()).post(f"{TICKETS}{ticket.pk}/take/")
    bad = as_user(engineer).post(f"{TICKETS}{ticket.pk}/mark-delivered/", {"delivered_on": "16/09"}, format="json")

    assert refused.status_code == 403
    assert bad.status_code == 400
    assert "delivered_on" in bad.json()
    ticket.refresh_from_db()
    assert ticket.status == LicenseTicket.Status.OPEN


def test_failures_counts_by_reason_and_route(as_user, manager):
    LicenseTicketFactory(opportunity=closed_won())
    LicenseTicketFactory(opportunity=closed_won(), reason=LicenseTicket.Reason.WRONG_RECIPIENT)
    LicenseTicketFactory(opportunity=closed_won(route_to_market="ibm_oem"), reason=LicenseTicket.Reason.IBM_OEM_MANUAL)

    body = as_user(manager).get(FAILURES).json()

    assert body["total"] == 3
    assert body["by_reason"]["no_delivery"] == 1
    assert body["by_reason"]["wrong_recipient"] == 1
    assert body["by_reason"]["missing_sold_to_email"] == 0
    assert body["by_route_to_market"]["ibm_oem"]["ibm_oem_manual"] == 1


def test_failures_filters_are_validated(as_user, manager):
    response = as_user(manager).get(FAILURES, {"created_from": "last week"})
    assert response.status_code == 400
    assert "created_from" in response.json()


def test_a_rep_gets_403_on_failures(as_user):
    assert as_user(RepFactory()).get(FAILURES).status_code == 403


def test_the_schema_describes_the_licenses_endpoints(as_user, manager):
    response = as_user(manager).get("/api/schema/", {"format": "json"})
    paths = response.json()["paths"]
    assert {DELIVERIES, TICKETS, FAILURES, "/api/licenses/tickets/{id}/mark-delivered/"} <= set(paths)
