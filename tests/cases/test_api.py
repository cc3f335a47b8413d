"""Cases API: request-support, duplicates, actions, permissions, bad input, query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services
from cases.models import Case
from tests.ordermgmt.factories import BillingFactory, ManagerFactory, OpportunityFactory, RepFactory

from .conftest import member
from .helpers import open_case

pytestmark = pytest.mark.django_db
OPEN = {
    "team": "deal_desk",
    "request_type": "basic_quote_assistance",
    "subject": "Fix the quote",
    "details": "Discount line is wrong",
    "quote_number": "Q-9",
}


def _url(opp):
    return f"/api/opportunities/{opp.pk}/request-support/"


def test_owner_rep_requests_support_and_sees_the_number(as_user, opp):
    response = as_user(opp.owner).post(_url(opp), OPEN, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    case = Case.objects.get()
    assert body["number"] == case.number == f"CS-{case.pk:06d}"
    expected = {"opportunity": opp.pk, "team": "deal_desk", "request_type": "basic_quote_assistance", "status": "new"}
    assert {k: body[k] for k in expected} == expected
    for key in ("id", "owner", "created_at", "first_response_at", "first_response_business_hours"):
        assert key in body
    assert body["possible_duplicate_of"] is None
    assert case.field_values == {"quote_number": "Q-9"}


def test_duplicate_answers_409_until_confirmed(as_user, opp):
    client = as_user(opp.owner)
    first = client.post(_url(opp), OPEN, format="json").json()

    refused = client.post(_url(opp), OPEN, format="json")
    assert refused.status_code == 409
    assert refused.json()["possible_duplicate_of"] == first["id"]
    assert Case.objects.count() == 1

    created = client.post(_url(opp), {**OPEN, "confirm_duplicate": True}, format="json")
    assert created.status_code == 201
    assert created.json()["possible_duplicate_of"] == first["id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"team": "nope"}, "team"),
        ({"team": "\u00b3"}, "team"),  # superscript 3: isdigit() yes, int() no (a 500 the fuzz found)
        ({"request_type": "\u00b3"}, "request_type"),
        ({"request_type": "ramp_deal", "team": "billing_ops"}, "request_type"),
        ({"quote_number": ""}, "quote_number"),
        ({"subject": ""}, "subject"),
        ({"details": None}, "details"),
        ({"related_to": "x"}, "related_to"),
        ({"related_to": 999999}, "related_to"),
        ({"confirm_duplicate": "maybe"}, "confirm_duplicate"),
    ],
)
def test_bad_input_is_400_naming_the_field(as_user, opp, change, field):
    response = as_user(opp.owner).post(_url(opp), {**OPEN, **change}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Case.objects.exists()


def test_request_support_refuses_other_reps_and_non_owners(as_user, opp):
    assert as_user(RepFactory()).post(_url(opp), OPEN, format="json").status_code == 404
    assert as_user(BillingFactory()).post(_url(opp), OPEN, format="json").status_code == 403
    assert as_user(ManagerFactory()).post(_url(opp), OPEN, format="json").status_code == 201
    assert as_user(opp.owner).post("/api/opportunities/abc/request-support/", OPEN, format="json").status_code == 404


def test_post_cases_opens_on_the_given_opportunity(as_user, opp):
    client = as_user(opp.owner)
    assert client.post("/api/cases/", {**OPEN, "opportunity": opp.pk}, format="json").status_code == 201
    other = OpportunityFactory()
    response = client.post("/api/cases/", {**OPEN, "opportunity": other.pk}, format="json")
    assert response.status_code == 400
    assert "opportunity" in response.json()


def test_reps_see_only_cases_on_their_opportunities(as_user, opp):
    mine = open_case(opp)
    theirs = open_case(OpportunityFactory())
    client = as_user(opp.owner)

    assert [c["id"] for c in client.get("/api/cases/").json()["results"]] == [mine.pk]
    assert client.get(f"/api/cases/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/cases/{theirs.pk}/comment/", {"body": "hi"}, format="json").status_code == 404


def test_teams_see_their_queue_and_managers_all(as_user, opp, dd_user):
    dd_case = open_case(opp)
    billing_case = open_case(opp, team="billing_ops", request_type="invoice_question", fields={"invoice_number": "I1"})
    billing_member = member("billing_ops")

    def ids(user, query=""):
        return {c["id"] for c in as_user(user).get(f"/api/cases/{query}").json()["results"]}

    assert ids(dd_user) == {dd_case.pk}
    assert ids(billing_member) == {billing_case.pk}
    assert ids(ManagerFactory()) == {dd_case.pk, billing_case.pk}
    assert ids(ManagerFactory(), "?team=billing_ops") == {billing_case.pk}
    assert as_user(billing_member).get(f"/api/cases/{dd_case.pk}/").status_code == 404


def test_filters_and_bad_filters(as_user, opp, dd_user):
    case = open_case(opp)
    services.case_take(case_id=case.pk, actor=dd_user)
    client = as_user(ManagerFactory())

    assert client.get(f"/api/cases/?owner={dd_user.pk}&status=work_in_progress").json()["results"][0]["id"] == case.pk
    assert client.get(f"/api/cases/?opportunity={opp.pk}&status=new").json()["results"] == []
    assert client.get("/api/cases/?status=bogus").status_code == 400
    assert client.get("/api/cases/?owner=abc").status_code == 400


def test_take_comment_status_close_reopen_through_the_api(as_user, opp, dd_user, dd_other):
    case = open_case(opp)
    dd = as_user(dd_user)

    assert dd.post(f"/api/cases/{case.pk}/take/").json()["owner"] == dd_user.pk
    assert as_user(dd_other).post(f"/api/cases/{case.pk}/take/").status_code == 409
    reply = dd.post(f"/api/cases/{case.pk}/comment/", {"body": "Done @rep_owner @dd_two"}, format="json")
    assert reply.status_code == 201
    assert reply.json()["mentions_ignored"] == ["dd_two"]
    note = dd.post(f"/api/cases/{case.pk}/comment/", {"body": "internal", "internal": True}, format="json")
    assert note.status_code == 201
    assert dd.post(f"/api/cases/{case.pk}/status/", {"status": "on_hold"}, format="json").json()["status"] == "on_hold"
    assert dd.post(f"/api/cases/{case.pk}/status/", {"status": "new"}, format="json").status_code == 409
    assert dd.post(f"/api/cases/{case.pk}/status/", {"status": "zzz"}, format="json").status_code == 400
    assert dd.post(f"/api/cases/{case.pk}/close/").json()["status"] == "closed"
    assert as_user(opp.owner).post(f"/api/cases/{case.pk}/reopen/").status_code == 403
    assert dd.post(f"/api/cases/{case.pk}/reopen/").json()["status"] == "work_in_progress"

    detail = as_user(opp.owner).get(f"/api/cases/{case.pk}/").json()
    assert detail["first_response_at"] is not None
    assert [c["body"] for c in detail["comments"]] == ["Done @rep_owner @dd_two"]  # no internal note for the rep
    assert len(dd.get(f"/api/cases/{case.pk}/").json()["comments"]) == 2


def test_assign_is_for_managers(as_user, opp, dd_user):
    case = open_case(opp)
    assert as_user(dd_user).post(f"/api/cases/{case.pk}/assign/", {"user": dd_user.pk}).status_code == 403
    manager = as_user(ManagerFactory())
    assert manager.post(f"/api/cases/{case.pk}/assign/", {"user": 999999}).status_code == 400
    assert manager.post(f"/api/cases/{case.pk}/assign/", {"user": opp.owner.pk}).status_code == 400
    assert manager.post(f"/api/cases/{case.pk}/assign/", {"user": dd_user.pk}).json()["owner"] == dd_user.pk


def test_comment_needs_a_body(as_user, opp):
    case = open_case(opp)
    response = as_user(opp.owner).post(f"/api/cases/{case.pk}/comment/", {"body": "  "}, format="json")
    assert response.status_code == 400
    assert "body" in response.json()


def test_unauthenticated_is_401(api):
    assert api.get("/api/cases/").status_code == 401


def test_list_query_count_is_constant(as_user, opp, dd_user, django_assert_num_queries):
    client = as_user(ManagerFactory())
    open_case(opp)
    with CaptureQueriesContext(connection) as one:
        client.get("/api/cases/")
    for i in range(6):
        other = OpportunityFactory(region_id=["AMER", "EMEA", "APAC"][i % 3])
        case = open_case(other)
        services.case_take(case_id=case.pk, actor=dd_user)
    with django_assert_num_queries(len(one)):
        response = client.get("/api/cases/")
    assert len(response.json()["results"]) == 7


def test_schema_describes_the_case_endpoints(as_user, manager):
    schema = as_user(manager).get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/cases/{id}/take/" in schema
    assert "/api/opportunities/{id}/request-support/" in schema
