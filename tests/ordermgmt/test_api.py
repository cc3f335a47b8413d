"""The opportunities, accounts, contacts, regions and documents API: permissions, bad input, audit, query counts."""

import io
import json
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ordermgmt import services
from ordermgmt.models import Account, Contact, Document, Opportunity, OpportunityEvent, Quote
from tests.ordermgmt.factories import (
    PDF_BYTES,
    AccountFactory,
    ContactFactory,
    DocumentFactory,
    OpportunityFactory,
    QuoteFactory,
    RepFactory,
    UserFactory,
    ready_opportunity,
    region,
)
from tests.subscriptions.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db


def _payload(customer, **extra):
    contact = ContactFactory(account=customer)
    data = {
        "name": "Acme expansion",
        "account": customer.pk,
        "type": "new_business",
        "deployment": "self_managed",
        "route_to_market": "direct",
        "stage": "6-awaiting_signature",
        "amount": "12500.00",
        "net_arr": "12500.00",
        "arr_basis": "0.00",
        "start_date": "2026-12-01",
        "end_date": "2027-11-30",
        "closed_won_reason": "Product fit",
        "closed_won_details": "Chose us",
        "competitors": "Other Vendor",
        "executed_agreement_type": "signed_order_form",
        "primary_quote": {
            "number": "Q-API-1",
            "sold_to_contact": contact.pk,
            "bill_to_contact": contact.pk,
            "amount": "12500.00",
            "start_date": "2026-12-01",
            "term_months": 12,
            "payment_terms": "net_30",
        },
    }
    data.update(extra)
    return data


# --- create / read / update ---------------------------------------------------------------------------------


def test_rep_creates_an_opportunity_they_own_in_their_region(as_user, rep):
    account = AccountFactory()
    refused = as_user(rep).post("/api/opportunities/", _payload(account, region="EMEA"), format="json")
    assert refused.status_code == 400  # a rep cannot file into another region, and is told so
    assert "region" in refused.json()
    response = as_user(rep).post("/api/opportunities/", _payload(account, region="AMER"), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner"] == rep.pk
    assert body["region"] == "AMER"
    assert body["approval_status"] == "draft"
    assert body["booked_arr"] == "12500.00"
    assert body["primary_quote"]["number"] == "Q-API-1"
    codes = {r["code"]: r["met"] for r in body["booking_requirements"]}
    assert codes["primary_quote_approved"] is False  # Deal Desk approves it, not the rep
    assert codes["signed_order_form"] is False  # no document yet
    assert OpportunityEvent.objects.filter(opportunity_id=body["id"], action="created", actor=rep).exists()


def test_read_only_fields_are_ignored_on_create(as_user, rep, other_rep):
    response = as_user(rep).post(
        "/api/opportunities/",
        _payload(
            AccountFactory(), owner=other_rep.pk, approval_status="closed_won", license_delivery_date="2026-01-01"
        ),
        format="json",
    )
    assert response.status_code == 201
    opp = Opportunity.objects.get(pk=response.json()["id"])
    assert (opp.owner_id, opp.approval_status, opp.license_delivery_date) == (rep.pk, "draft", None)


def test_patch_records_field_changes_with_the_actor(as_user, rep):
    opp = OpportunityFactory(owner=rep, amount=Decimal("100.00"))
    response = as_user(rep).patch(
        f"/api/opportunities/{opp.pk}/", {"amount": "150.00", "name": "Renamed"}, format="json"
    )
    assert response.status_code == 200, response.content
    event = OpportunityEvent.objects.get(opportunity=opp, action="updated")
    assert event.actor == rep
    assert event.changes == {"amount": ["100.00", "150.00"], "name": [opp.name, "Renamed"]}
    history = as_user(rep).get(f"/api/opportunities/{opp.pk}/history/").json()
    assert [h["action"] for h in history] == ["updated"]
    assert history[0]["actor"] == rep.username


def test_stale_version_answers_409_and_changes_nothing(as_user, rep):
    opp = OpportunityFactory(owner=rep, name="Original")
    client = as_user(rep)
    assert (
        client.patch(f"/api/opportunities/{opp.pk}/", {"name": "First", "version": 1}, format="json").status_code == 200
    )
    response = client.patch(f"/api/opportunities/{opp.pk}/", {"name": "Second", "version": 1}, format="json")
    assert response.status_code == 409
    assert "changed since you loaded it" in response.json()["detail"]
    opp.refresh_from_db()
    assert opp.name == "First"


def test_rep_cannot_edit_while_locked_in_approval(as_user, rep):
    opp = OpportunityFactory(owner=rep, approval_status="submitted", stage="7-closing")
    response = as_user(rep).patch(f"/api/opportunities/{opp.pk}/", {"name": "sneaky"}, format="json")
    assert response.status_code == 409
    assert "locked" in response.json()["detail"]
    opp.refresh_from_db()
    assert opp.name != "sneaky"


@pytest.mark.parametrize("stage", ["7-closing", "closed_won", "10-duplicate"])
def test_workflow_stages_cannot_be_set_by_editing(as_user, rep, stage):
    opp = OpportunityFactory(owner=rep)
    response = as_user(rep).patch(f"/api/opportunities/{opp.pk}/", {"stage": stage}, format="json")
    assert response.status_code == 400
    assert "stage" in response.json()


def test_patch_answers_what_a_fresh_read_shows_in_a_bounded_number_of_queries(as_user, rep):
    # given: an opportunity with its quote and a document
    opp = ready_opportunity(owner=rep)
    client = as_user(rep)

    # when
    with CaptureQueriesContext(connection) as ctx:
        response = client.patch(f"/api/opportunities/{opp.pk}/", {"competitors": "Vendor Z"}, format="json")

    # then: the row, its lock, the update, the event, the answer (row, quotes, documents); no re-validation of
    # fields the edit did not touch
    assert response.status_code == 200, response.content
    assert len(ctx.captured_queries) <= 10, [q["sql"][:80] for q in ctx.captured_queries]
    assert response.content == client.get(f"/api/opportunities/{opp.pk}/").content
    assert response.json()["version"] == opp.version + 1


def test_service_checks_a_changed_date_against_the_stored_one():
    # given: stored dates; the edit sends only the end date (the API's serializer is bypassed)
    opp = OpportunityFactory(start_date=date(2026, 12, 1), end_date=date(2027, 11, 30))

    # when / then: the check constraint over both dates still runs and names what failed
    with pytest.raises(ValidationError) as excinfo:
        services.opportunity_update(opportunity_id=opp.pk, actor=opp.owner, data={"end_date": date(2026, 1, 1)})
    assert "opp_end_not_before_start" in str(excinfo.value)
    opp.refresh_from_db()
    assert (opp.end_date, opp.version) == (date(2027, 11, 30), 1)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": Decimal("-1")}, "amount"),
        ({"primary_quote": {"term_months": 0}}, "term_months"),
        ({"primary_quote": {"amount": Decimal("-1")}}, "amount"),
    ],
)
def test_service_validates_the_changed_fields_and_names_them(data, field):
    # given
    opp = ready_opportunity()
    quote = opp.primary_quote

    # when
    with pytest.raises(ValidationError) as excinfo:
        services.opportunity_update(opportunity_id=opp.pk, actor=opp.owner, data=data)

    # then
    assert field in excinfo.value.message_dict
    opp.refresh_from_db()
    quote.refresh_from_db()
    assert (opp.amount, opp.version, quote.amount, quote.term_months) == (Decimal("12000.00"), 1, opp.amount, 12)


# --- visibility and permissions per role and object ---------------------------------------------------------------


@pytest.fixture
def world(db):
    amer_rep, amer_rep2 = RepFactory(), RepFactory()
    emea_rep = RepFactory(region=region("EMEA"))
    return {
        "own": OpportunityFactory(owner=amer_rep),
        "same_region_other_rep": OpportunityFactory(owner=amer_rep2),
        "other_region": OpportunityFactory(owner=emea_rep),
        "rep": amer_rep,
    }


@pytest.mark.parametrize(
    ("role", "user_region", "visible"),
    [
        ("sales_rep", "AMER", {"own"}),
        ("specialist", "AMER", {"own", "same_region_other_rep"}),
        ("specialist", "EMEA", {"other_region"}),
        ("manager", None, {"own", "same_region_other_rep", "other_region"}),
        ("billing", None, {"own", "same_region_other_rep", "other_region"}),
        ("deal_desk", None, {"own", "same_region_other_rep", "other_region"}),
    ],
)
def test_role_matrix_list_and_detail_visibility(as_user, world, role, user_region, visible):
    user = (
        world["rep"]
        if role == "sales_rep"
        else UserFactory(role=role, region=region(user_region) if user_region else None)
    )
    client = as_user(user)
    listed = {o["id"] for o in client.get("/api/opportunities/?page_size=200").json()["results"]}
    for key in ("own", "same_region_other_rep", "other_region"):
        opp = world[key]
        assert (opp.pk in listed) == (key in visible), key
        detail = client.get(f"/api/opportunities/{opp.pk}/")
        assert detail.status_code == (200 if key in visible else 404), key
        history = client.get(f"/api/opportunities/{opp.pk}/history/")
        assert history.status_code == (200 if key in visible else 404), key


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("sales_rep", 201),
        ("manager", 400),
        ("specialist", 403),
        ("billing", 403),
        ("deal_desk", 403),
        ("support_engineering", 403),
        ("integration", 403),
    ],
)
def test_role_matrix_create(as_user, role, expected):
    user = UserFactory(role=role)
    response = as_user(user).post("/api/opportunities/", _payload(AccountFactory()), format="json")
    # a manager must name the region (400 without it) but may create
    assert response.status_code == expected, response.content


def test_manager_creates_with_a_region(as_user, manager):
    response = as_user(manager).post("/api/opportunities/", _payload(AccountFactory(), region="APAC"), format="json")
    assert response.status_code == 201
    assert response.json()["region"] == "APAC"


@pytest.mark.parametrize(("role", "expected"), [("specialist", 403), ("billing", 403), ("manager", 200)])
def test_role_matrix_patch_of_a_visible_opportunity(as_user, world, role, expected):
    user = UserFactory(role=role)
    response = as_user(user).patch(f"/api/opportunities/{world['own'].pk}/", {"name": "x"}, format="json")
    assert response.status_code == expected


def test_rep_cannot_patch_another_reps_opportunity(as_user, world):
    response = as_user(world["rep"]).patch(
        f"/api/opportunities/{world['same_region_other_rep'].pk}/", {"name": "x"}, format="json"
    )
    assert response.status_code == 404


def test_unauthenticated_requests_get_401(api):
    assert api.get("/api/opportunities/").status_code == 401
    assert api.get("/api/regions/").status_code == 401


def test_integration_token_reaches_no_staff_endpoint(as_user):
    client = as_user(UserFactory(role="integration"))
    assert client.get("/api/opportunities/").status_code == 403
    assert client.get("/api/accounts/").status_code == 403


def test_filters_search_and_ordering(as_user, manager):
    a = OpportunityFactory(name="Alpha deal", amount=Decimal("5"), stage="5-negotiating")
    b = OpportunityFactory(name="Beta deal", amount=Decimal("50"), account=AccountFactory(name="Zeta Corp"))
    OpportunityFactory(owner=RepFactory(region=region("APAC")), name="Gamma")
    client = as_user(manager)
    ids = lambda url: [o["id"] for o in client.get(url).json()["results"]]  # noqa: E731
    assert ids("/api/opportunities/?search=zeta") == [b.pk]
    assert ids("/api/opportunities/?stage=5-negotiating") == [a.pk]
    assert ids("/api/opportunities/?region=AMER&ordering=-amount") == [b.pk, a.pk]
    assert client.get("/api/opportunities/?stage=nonsense").status_code == 400


@pytest.mark.parametrize("ordering", ["amount", "-amount", "name"])
def test_ordering_finishes_with_the_primary_key_so_ties_keep_their_page(as_user, manager, ordering):
    # given: 7 opportunities with the same amount and name, created in an order unrelated to their pk
    opps = [OpportunityFactory(name="Same", amount=Decimal("100")) for _ in range(7)]
    for opp, days in zip(opps, [3, 6, 1, 5, 0, 2, 4], strict=True):
        Opportunity.objects.filter(pk=opp.pk).update(created_at=timezone.now() - timedelta(days=days))
    client = as_user(manager)

    # when: walked 3 at a time
    url = f"/api/opportunities/?ordering={ordering}&page_size=3&page="
    walked = [o["id"] for page in (1, 2, 3) for o in client.get(url + str(page)).json()["results"]]

    # then: every row once, ties in pk order (descending when the field is)
    expected = sorted(o.pk for o in opps)
    assert walked == (expected[::-1] if ordering.startswith("-") else expected)


def test_filters_apply_only_when_sent_and_still_reach_a_detail_lookup(as_user, manager):
    # given
    opp = OpportunityFactory(stage="5-negotiating")
    client = as_user(manager)

    # then: no filter parameter (pagination and ordering are not filters) filters nothing; a sent one still does
    assert [o["id"] for o in client.get("/api/opportunities/?page=1&page_size=5&ordering=id").json()["results"]] == [
        opp.pk
    ]
    assert client.get(f"/api/opportunities/{opp.pk}/").status_code == 200
    assert client.get(f"/api/opportunities/{opp.pk}/?stage=4-proposal").status_code == 404
    assert client.get(f"/api/opportunities/{opp.pk}/?stage=nonsense").status_code == 400


# --- bad input ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "-5"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"type": "barter"}, "type"),
        ({"route_to_market": "carrier pigeon"}, "route_to_market"),
        ({"start_date": "2026-12-01", "end_date": "2026-11-01"}, "end_date"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"name": "x" * 300}, "name"),
        ({"closed_won_details": "x" * 6000}, "closed_won_details"),
        ({"account": 999999}, "account"),
        ({"executed_agreement_link": "not a url"}, "executed_agreement_link"),
        ({"amount": "1e400"}, "amount"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(as_user, rep, change, field):
    before = (Opportunity.objects.count(), Quote.objects.count(), OpportunityEvent.objects.count())
    response = as_user(rep).post("/api/opportunities/", _payload(AccountFactory(), **change), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert (Opportunity.objects.count(), Quote.objects.count(), OpportunityEvent.objects.count()) == before


def test_bad_nested_quote_input_names_the_field(as_user, rep):
    payload = _payload(AccountFactory())
    payload["primary_quote"]["amount"] = "-1"
    response = as_user(rep).post("/api/opportunities/", payload, format="json")
    assert response.status_code == 400
    assert "amount" in response.json()["primary_quote"]
    assert not Opportunity.objects.exists()


def test_quote_contact_from_another_account_is_refused(as_user, rep):
    payload = _payload(AccountFactory())
    payload["primary_quote"]["sold_to_contact"] = ContactFactory().pk
    response = as_user(rep).post("/api/opportunities/", payload, format="json")
    assert response.status_code == 400
    assert "sold_to_contact" in response.json()["primary_quote"]


def test_duplicate_quote_number_is_a_field_error(as_user, rep):
    QuoteFactory(number="Q-API-1")
    response = as_user(rep).post("/api/opportunities/", _payload(AccountFactory()), format="json")
    assert response.status_code == 400
    assert "number" in json.dumps(response.json())
    assert not Opportunity.objects.filter(owner=rep).exists()


def test_non_json_body_is_a_400(as_user, rep):
    response = as_user(rep).generic("POST", "/api/opportunities/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [
        ("/api/accounts/", {"name": "A", "region": "AMER", "country": "usa"}, "country"),
        ("/api/accounts/", {"name": "A", "region": "MARS", "country": "US"}, "region"),
        ("/api/accounts/", {"name": "x" * 300, "region": "AMER", "country": "US"}, "name"),
        ("/api/contacts/", {"account": 999999, "name": "N", "email": "n@example.com"}, "account"),
        ("/api/contacts/", {"name": "N", "email": "not-an-email"}, "email"),
    ],
)
def test_bad_reference_data_input(as_user, rep, url, payload, field):
    before = (Account.objects.count(), Contact.objects.count())
    response = as_user(rep).post(url, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert (Account.objects.count(), Contact.objects.count()) == before


def test_reference_data_create_and_read(as_user, rep, specialist):
    account = as_user(rep).post("/api/accounts/", {"name": "Acme", "region": "AMER", "country": "US"}, format="json")
    assert account.status_code == 201
    contact = as_user(rep).post(
        "/api/contacts/", {"account": account.json()["id"], "name": "Ann", "email": "a@acme.example"}, format="json"
    )
    assert contact.status_code == 201
    assert as_user(specialist).get("/api/contacts/").json()["results"][0]["email"] == "a@acme.example"
    regions = as_user(rep).get("/api/regions/").json()
    assert [r["code"] for r in regions] == ["AMER", "APAC", "EMEA"]
    assert (
        as_user(UserFactory(role="billing"))
        .post("/api/accounts/", {"name": "B", "region": "AMER", "country": "US"}, format="json")
        .status_code
        == 403
    )


# --- documents ------------------------------------------------------------------------------------------------------


def _upload(client, opp, name, content, kind="signed_order_form"):
    return client.post(
        f"/api/opportunities/{opp.pk}/documents/",
        {"kind": kind, "file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


def test_document_upload_sniffs_type_and_strips_path_parts(as_user, rep):
    opp = OpportunityFactory(owner=rep)
    response = _upload(as_user(rep), opp, "../../etc/passwd/order form.pdf", PDF_BYTES)
    assert response.status_code == 201, response.content
    doc = Document.objects.get(pk=response.json()["id"])
    assert doc.content_type == "application/pdf"
    assert doc.original_name == "order form.pdf"
    assert ".." not in doc.file.name
    assert doc.file.name.startswith(f"documents/{opp.pk}/")
    listed = as_user(rep).get(f"/api/opportunities/{opp.pk}/documents/").json()
    assert [d["id"] for d in listed] == [doc.pk]
    assert OpportunityEvent.objects.filter(opportunity=opp, action="document_added").exists()


def test_document_with_a_lying_extension_is_refused(as_user, rep):
    opp = OpportunityFactory(owner=rep)
    response = _upload(as_user(rep), opp, "invoice.pdf", b"MZ\x90\x00 this is really an executable")
    assert response.status_code == 400
    assert "file" in response.json()
    assert not Document.objects.exists()


def test_oversized_document_is_refused(as_user, rep, settings):
    settings.DOCUMENT_MAX_BYTES = 1024
    opp = OpportunityFactory(owner=rep)
    response = _upload(as_user(rep), opp, "big.pdf", PDF_BYTES + b"0" * 2048)
    assert response.status_code == 400
    assert "larger than" in response.json()["file"][0]


def test_zip_bomb_office_document_is_refused(as_user, rep):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"0" * (101 * 1024 * 1024))
    opp = OpportunityFactory(owner=rep)
    response = _upload(as_user(rep), opp, "bomb.docx", buffer.getvalue())
    assert response.status_code == 400
    assert "expands" in response.json()["file"][0]


def test_unknown_document_kind_is_refused(as_user, rep):
    opp = OpportunityFactory(owner=rep)
    response = _upload(as_user(rep), opp, "a.pdf", PDF_BYTES, kind="love_letter")
    assert response.status_code == 400
    assert "kind" in response.json()


def test_specialist_cannot_upload_and_other_rep_cannot_see(as_user, rep, other_rep, specialist):
    opp = OpportunityFactory(owner=rep)
    assert _upload(as_user(specialist), opp, "a.pdf", PDF_BYTES).status_code == 403
    assert _upload(as_user(other_rep), opp, "a.pdf", PDF_BYTES).status_code == 404
    assert as_user(other_rep).get(f"/api/opportunities/{opp.pk}/documents/").status_code == 404


# --- query counts -----------------------------------------------------------------------------------------------------


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.json()["results"])


def test_opportunity_list_makes_the_same_number_of_queries_for_5_and_200_rows(as_user, manager):
    client = as_user(manager)
    for _ in range(5):
        opp = ready_opportunity()
    few, rows = _count_queries(client, "/api/opportunities/?page_size=200")
    assert rows == 5
    for _ in range(195):
        opp = OpportunityFactory(owner=opp.owner, account=opp.account)
        QuoteFactory(opportunity=opp)
        DocumentFactory(opportunity=opp)
    many, rows = _count_queries(client, "/api/opportunities/?page_size=200")
    assert rows == 200
    assert few == many


# --- the hand-written representation --------------------------------------------------------------------------------


def test_a_deal_cannot_be_attached_to_another_customers_subscription(as_user, rep):
    mine = OpportunityFactory(owner=rep)
    theirs = SubscriptionFactory(account=AccountFactory())
    ours = SubscriptionFactory(account=mine.account)
    client = as_user(rep)

    refused = client.patch(f"/api/opportunities/{mine.pk}/", {"subscription": theirs.pk}, format="json")
    assert refused.status_code == 400
    assert "subscription" in refused.json()
    mine.refresh_from_db()
    assert mine.subscription_id is None
    assert client.patch(f"/api/opportunities/{mine.pk}/", {"subscription": ours.pk}, format="json").status_code == 200
    moved = client.patch(
        f"/api/opportunities/{mine.pk}/", {"account": AccountFactory(region=mine.region).pk}, format="json"
    )
    assert moved.status_code == 400
    assert "subscription" in moved.json()


def test_a_contacts_email_is_changed_only_by_the_deals_owner_deal_desk_or_a_manager(
    as_user, rep, other_rep, specialist
):
    opp = ready_opportunity(owner=rep)
    contact = opp.primary_quote.sold_to_contact
    url = f"/api/contacts/{contact.pk}/"

    for stranger in (other_rep, specialist):
        refused = as_user(stranger).patch(url, {"email": "attacker@evil.example"}, format="json")
        assert refused.status_code == 403, stranger
    assert as_user(specialist).patch(url, {"name": "Renamed Buyer"}, format="json").status_code == 200
    contact.refresh_from_db()
    old = contact.email
    assert old != "attacker@evil.example"

    assert as_user(rep).patch(url, {"email": "new.buyer@customer.example"}, format="json").status_code == 200
    assert (
        as_user(UserFactory(role="deal_desk")).patch(url, {"email": "dd@customer.example"}, format="json").status_code
        == 200
    )
    lines = list(OpportunityEvent.objects.filter(opportunity=opp, action="contact_changed").order_by("pk"))
    assert [line.changes.get("contact email") for line in lines if "contact email" in line.changes] == [
        [old, "new.buyer@customer.example"],
        ["new.buyer@customer.example", "dd@customer.example"],
    ]


def test_only_deal_desk_or_a_manager_approves_a_quote(as_user, rep, manager):
    from ordermgmt.models import Quote, User
    from tests.ordermgmt.factories import UserFactory

    created = as_user(rep).post("/api/opportunities/", _payload(AccountFactory()), format="json").json()
    url = f"/api/opportunities/{created['id']}/"
    refused = as_user(rep).patch(url, {"primary_quote": {"approved": True}}, format="json")
    assert refused.status_code == 400
    assert "approved" in refused.json()["primary_quote"]
    asked = as_user(rep).post(url + "request-quote-approval/")
    assert asked.status_code == 200
    assert as_user(rep).post(url + "approve-quote/").status_code == 403
    desk = UserFactory(role=User.Role.DEAL_DESK)
    approved = as_user(desk).post(url + "approve-quote/")
    assert approved.status_code == 200
    assert approved.json()["primary_quote"]["approved"] is True
    # the rep changes the approved terms: the quote goes back for approval
    as_user(rep).patch(url, {"primary_quote": {"amount": "13000.00"}, "amount": "13000.00"}, format="json")
    assert Quote.objects.get(opportunity_id=created["id"]).approved is False
    assert as_user(manager).post(url + "approve-quote/").status_code == 200


def test_a_quote_contact_of_another_account_through_patch_is_a_nested_field_error(as_user, rep):
    created = as_user(rep).post("/api/opportunities/", _payload(AccountFactory()), format="json").json()
    response = as_user(rep).patch(
        f"/api/opportunities/{created['id']}/",
        {"primary_quote": {"sold_to_contact": ContactFactory().pk}},
        format="json",
    )
    assert response.status_code == 400
    assert "sold_to_contact" in response.json()["primary_quote"]
