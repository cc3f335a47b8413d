"""Nothing of another rep or another region leaks (lists, search, filters, history, pages, error messages), and
read-only fields sent by a client are ignored or refused, with the database unchanged."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.test import Client

from cases.models import Case
from licenses.models import LicenseTicket
from ordermgmt.exports import XLSX_CONTENT_TYPE
from ordermgmt.models import Opportunity
from subscriptions.models import Discrepancy
from tests.hardening.urlmatrix import endpoints

pytestmark = pytest.mark.django_db

# Every GET URL without a path parameter (lists, queues, pages, exports, new apps' endpoints included).
LISTS = [e for e in endpoints() if "get" in e.methods and not e.params and e.name not in {"api:schema", "api:docs"}]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _body(response) -> str:
    """The whole answer as text, the exports' rows included (they are a list too): a streamed CSV as it is, an XLSX
    workbook as the text of its cells (its bytes are zipped, so a leaked name would not show in them)."""
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type") == XLSX_CONTENT_TYPE:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True)
        return "\n".join(
            "\t".join("" if v is None else str(v) for v in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    return raw.decode(errors="replace")


def _secrets(world) -> list[str]:
    """Strings only the other side's people may see: opportunity names, the other rep's username."""
    other = world.other
    return [other.opportunity.name, other.ticket.opportunity.name, other.rep.username]


@pytest.mark.parametrize("role", ["sales_rep", "specialist"])
@pytest.mark.parametrize("query", ["", "?search=Secret", "?search=EMEA", "?region=EMEA", "?owner={other_rep}"])
def test_no_list_or_page_shows_another_reps_or_regions_records(world, role, query):
    client = _client(world.users[role])
    query = query.format(other_rep=world.other.rep.pk)
    checked = 0
    for endpoint in LISTS:
        response = client.get("/" + endpoint.route + query, follow=True)
        assert response.status_code < 500, (endpoint.route, response.status_code)
        body = _body(response)
        for secret in _secrets(world):
            assert secret not in body, f"{secret!r} leaked through /{endpoint.route}{query} to the {role}"
        checked += response.status_code == 200
    assert checked >= 10  # the scan really read pages, not a wall of 403s


def test_the_own_side_is_visible_so_the_scan_would_see_a_leak(world):
    """The positive control: the same scan finds the rep's own opportunity name in their list, their page and their
    XLSX export."""
    client = _client(world.own.rep)
    assert world.own.opportunity.name in client.get("/api/opportunities/?search=Secret").content.decode()
    assert world.own.opportunity.name in client.get("/opportunities/").content.decode()
    assert world.own.opportunity.name in _body(client.get("/opportunities/export.xlsx"))  # read inside the zip


def test_search_for_another_reps_opportunity_by_name_returns_nothing(world):
    client = _client(world.own.rep)
    body = client.get("/api/opportunities/", {"search": world.other.opportunity.name}).json()
    assert body["results"] == []
    body = client.get("/api/cases/", {"opportunity": world.other.opportunity.pk})
    assert body.status_code in (200, 400)
    assert world.other.case.number not in body.content.decode()


def test_a_specialist_asking_for_another_regions_queue_sees_none_of_it(world):
    client = _client(world.own.specialist)
    response = client.get("/api/queue/", {"region": "EMEA"})
    assert response.status_code in (200, 400, 403)
    assert world.other.opportunity.name not in response.content.decode()
    tickets = client.get("/api/licenses/tickets/").json()["results"]
    assert {t["id"] for t in tickets} == {world.own.ticket.pk}


@pytest.mark.parametrize(
    "path",
    [
        "/api/opportunities/{pk}/",
        "/api/opportunities/{pk}/history/",
        "/api/opportunities/{pk}/submit/",
        "/api/opportunities/{pk}/documents/",
        "/opportunities/{pk}/",
        "/opportunities/{pk}/documents/{doc}/",
    ],
)
def test_error_answers_for_another_reps_opportunity_say_nothing_about_it(world, path):
    client = _client(world.own.rep)
    url = path.format(pk=world.other.opportunity.pk, doc=world.other.document.pk)
    method = client.post if url.endswith("submit/") else client.get
    response = method(url)
    assert response.status_code == 404
    body = response.content.decode()
    for secret in [*_secrets(world), world.other.account.name, "EMEA"]:
        assert secret not in body
    missing = method(path.format(pk=987654321, doc=1))
    assert missing.status_code == 404  # the same answer as for an id that does not exist


def test_another_reps_notifications_are_not_listed(world):
    from tests.ordermgmt.factories import NotificationFactory

    NotificationFactory(recipient=world.own.rep, message="For the own rep")
    NotificationFactory(recipient=world.other.rep, message="For the other rep")
    mine = _client(world.own.rep).get("/api/notifications/").json()["results"]
    theirs = _client(world.other.rep).get("/api/notifications/").json()["results"]
    assert [n["message"] for n in mine] == ["For the own rep"]
    assert [n["message"] for n in theirs] == ["For the other rep"]
    assert not {n["id"] for n in mine} & {n["id"] for n in theirs}


# --- mass assignment ---------------------------------------------------------------------------------------------


def test_read_only_opportunity_fields_in_a_patch_are_ignored(world, as_user):
    from tests.ordermgmt.factories import OpportunityFactory

    rep = world.own.rep
    opp = OpportunityFactory(owner=rep)
    before = Opportunity.objects.values("owner", "approval_status", "license_delivery_date", "version").get(pk=opp.pk)
    response = as_user(rep).patch(
        f"/api/opportunities/{opp.pk}/",
        {
            "name": "Renamed",
            "owner": world.other.rep.pk,
            "approval_status": "closed_won",
            "license_delivery_date": "2026-01-01",
            "booked_arr": "999999.00",
            "booking_requirements": [],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    after = Opportunity.objects.values("owner", "approval_status", "license_delivery_date", "version").get(pk=opp.pk)
    assert after == {**before, "version": before["version"] + 1}
    assert Opportunity.objects.get(pk=opp.pk).name == "Renamed"


def test_a_client_cannot_set_the_version_forward(world, as_user):
    from tests.ordermgmt.factories import OpportunityFactory

    opp = OpportunityFactory(owner=world.own.rep)
    before = opp.version
    response = as_user(world.own.rep).patch(
        f"/api/opportunities/{opp.pk}/", {"name": "Jump", "version": before + 10}, format="json"
    )
    assert response.status_code == 409
    opp.refresh_from_db()
    assert opp.version == before
    assert opp.name != "Jump"


def test_a_rep_cannot_move_an_opportunity_to_another_region_or_owner_on_create(world, as_user):
    from tests.ordermgmt.factories import AccountFactory

    body = {
        "name": "Sneaky",
        "account": AccountFactory().pk,
        "region": "EMEA",
        "owner": world.other.rep.pk,
        "approval_status": "om_approved",
        "type": "new_business",
        "deployment": "saas",
        "route_to_market": "direct",
        "stage": "1-discovery",
        "amount": "10.00",
        "net_arr": "10.00",
        "arr_basis": "0.00",
        "start_date": "2026-12-01",
    }
    refused = as_user(world.own.rep).post("/api/opportunities/", body, format="json")
    assert refused.status_code == 400  # another region is refused, naming the field, not silently replaced
    assert "region" in refused.json()
    assert not Opportunity.objects.filter(name="Sneaky").exists()
    # owner and status are read-only in the schema: ignored, the server sets them
    response = as_user(world.own.rep).post("/api/opportunities/", {**body, "region": "AMER"}, format="json")
    assert response.status_code == 201, response.content
    opp = Opportunity.objects.get(pk=response.json()["id"])
    assert (opp.region_id, opp.owner_id, opp.approval_status) == ("AMER", world.own.rep.pk, "draft")


def test_case_owner_status_and_number_on_create_are_ignored(world, as_user):
    deal_desk = world.users["deal_desk"]
    response = as_user(world.own.rep).post(
        "/api/cases/",
        {
            "opportunity": world.own.opportunity.pk,
            "team": "deal_desk",
            "request_type": "basic_quote_assistance",
            "subject": "Another one",
            "details": "Please.",
            "fields": {"quote_number": "Q-1"},
            "confirm_duplicate": True,
            "owner": deal_desk.pk,
            "status": "closed",
            "number": "CASE-HACKED",
            "first_response_at": "2026-01-01T00:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    assert (case.owner_id, case.status, case.first_response_at) == (None, "new", None)
    assert case.number != "CASE-HACKED"


def test_ticket_status_cannot_be_written_directly(world, as_user):
    engineer = world.users["support_engineering"]
    ticket = world.own.ticket
    client = as_user(engineer)
    assert (
        client.patch(f"/api/licenses/tickets/{ticket.pk}/", {"status": "delivered"}, format="json").status_code == 405
    )
    response = client.post(f"/api/licenses/tickets/{ticket.pk}/take/", {"status": "auto_closed"}, format="json")
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == LicenseTicket.Status.TAKEN


def test_discrepancy_status_cannot_be_written_directly(world, as_user):
    discrepancy = world.own.discrepancy
    client = as_user(world.own.specialist)
    url = f"/api/reconciliation/discrepancies/{discrepancy.pk}/"
    assert client.patch(url, {"status": "accepted"}, format="json").status_code == 405
    response = client.post(url + "resolve/", {"action": "apply", "status": "accepted"}, format="json")
    assert response.status_code == 200, response.content
    discrepancy.refresh_from_db()
    assert discrepancy.status == Discrepancy.Status.FIXED


def test_a_submission_cannot_be_approved_by_posting_its_status(world, as_user):
    opp = world.own.opportunity
    response = as_user(world.own.rep).post(
        f"/api/opportunities/{opp.pk}/recall/", {"approval_status": "om_approved"}, format="json"
    )
    assert response.status_code == 200
    opp.refresh_from_db()
    assert opp.approval_status == "draft"
    assert opp.license_delivery_date is None
