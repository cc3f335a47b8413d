"""Case pages: the open-case form (htmx fields, duplicate warning), queues, the case page and its POST actions."""

import pytest
from django.test import Client

from cases import services
from cases.models import Case
from tests.ordermgmt.factories import ManagerFactory, RepFactory

from .conftest import member
from .helpers import open_case

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


FORM = {
    "team": "deal_desk",
    "request_type": "basic_quote_assistance",
    "subject": "Fix the quote",
    "details": "Discount wrong",
    "field_quote_number": "Q-1",
}


def test_form_loads_the_request_types_fields_for_htmx(opp):
    client = login(opp.owner)
    url = f"/cases/new/?opportunity={opp.pk}&team=deal_desk&request_type=contract_reset_coterm"

    full = client.get(url)
    partial = client.get(url, HTTP_HX_REQUEST="true")

    assert full.status_code == 200
    assert b"<html" not in partial.content
    assert b'name="field_co_term_date"' in partial.content
    assert b'name="field_subscription_name"' in partial.content
    assert b"csrfmiddlewaretoken" in partial.content


def test_open_case_redirects_to_the_case_with_its_number(opp):
    response = login(opp.owner).post(f"/cases/new/?opportunity={opp.pk}", FORM, follow=True)

    case = Case.objects.get()
    assert response.redirect_chain[-1][0] == f"/cases/{case.pk}/"
    assert case.number in response.content.decode()


def test_duplicate_shows_a_warning_and_create_anyway(opp):
    first = open_case(opp)
    client = login(opp.owner)

    warned = client.post(f"/cases/new/?opportunity={opp.pk}", FORM)
    assert warned.status_code == 409
    assert b"Possible duplicate" in warned.content
    assert b"Create anyway" in warned.content
    assert Case.objects.count() == 1

    client.post(f"/cases/new/?opportunity={opp.pk}", {**FORM, "confirm_duplicate": "on"})
    assert Case.objects.latest("pk").possible_duplicate_of == first


def test_missing_type_field_rerenders_with_the_error(opp):
    response = login(opp.owner).post(f"/cases/new/?opportunity={opp.pk}", {**FORM, "field_quote_number": ""})
    assert response.status_code == 400
    assert b"Quote number is required" in response.content
    assert not Case.objects.exists()


def test_form_404s_for_someone_elses_opportunity(opp):
    assert login(RepFactory()).get(f"/cases/new/?opportunity={opp.pk}").status_code == 404
    assert login(opp.owner).get("/cases/new/?opportunity=abc").status_code == 404


def test_queue_is_for_the_team_and_managers(opp, dd_user):
    case = open_case(opp)

    assert case.number in login(dd_user).get("/cases/queue/deal_desk/").content.decode()
    assert login(ManagerFactory()).get("/cases/queue/deal_desk/").status_code == 200
    assert login(opp.owner).get("/cases/queue/deal_desk/").status_code == 403
    assert login(member("billing_ops")).get("/cases/queue/deal_desk/").status_code == 403


def test_my_cases_and_the_case_page_for_the_rep(opp):
    case = open_case(opp)
    client = login(opp.owner)

    assert case.number in client.get("/cases/mine/").content.decode()
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "only the case owner" in page
    assert login(RepFactory()).get(f"/cases/{case.pk}/").status_code == 404


def test_take_and_reply_through_the_page(opp, dd_user):
    case = open_case(opp)
    client = login(dd_user)

    client.post(f"/cases/{case.pk}/take/")
    response = client.post(f"/cases/{case.pk}/comment/", {"body": "Fixed @rep_owner @someone"}, follow=True)

    case.refresh_from_db()
    assert case.owner == dd_user
    assert case.first_response_at is not None
    assert "Not notified: @someone" in response.content.decode()


def test_refused_action_shows_an_error_message(opp, dd_user, dd_other):
    case = open_case(opp)
    services.case_take(case_id=case.pk, actor=dd_user)

    response = login(dd_other).post(f"/cases/{case.pk}/take/", follow=True)

    assert "already owned" in response.content.decode()
    case.refresh_from_db()
    assert case.owner == dd_user


def test_status_form_and_get_is_not_allowed(opp, dd_user):
    case = open_case(opp)
    services.case_take(case_id=case.pk, actor=dd_user)
    client = login(dd_user)

    assert client.get(f"/cases/{case.pk}/status/").status_code == 405
    client.post(f"/cases/{case.pk}/status/", {"status": "pending_response"})
    case.refresh_from_db()
    assert case.status == "pending_response"


def test_managers_edit_team_membership_by_name_and_the_member_sees_the_queue_at_once(client):
    from cases.models import Team
    from ordermgmt.models import User
    from tests.ordermgmt.factories import ManagerFactory, UserFactory

    manager = ManagerFactory(username="mgr_teams")
    helper = UserFactory(username="billing_helper", role=User.Role.BILLING)
    client.force_login(helper)
    assert client.get("/cases/queue/deal_desk/").status_code in (403, 404)  # not a member yet
    client.force_login(manager)
    page = client.get("/cases/teams/").content.decode()
    assert 'data-team="deal_desk"' in page
    response = client.post("/cases/teams/", {"team": "deal_desk", "deal_desk-members": [helper.pk]})
    assert response.status_code == 302
    assert list(Team.objects.get(code="deal_desk").members.all()) == [helper]
    client.force_login(helper)
    assert client.get("/cases/queue/deal_desk/").status_code == 200
    assert client.post("/cases/teams/", {"team": "deal_desk", "deal_desk-members": []}).status_code == 403
    assert client.get("/cases/teams/").status_code == 403
