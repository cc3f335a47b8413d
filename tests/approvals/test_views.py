"""The HTML views through Django's test client: permissions per role, forms that keep input, PRG messages,
constant query counts on the queue page."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals import services as approval_services
from approvals.models import QUEUE_ORDER, Submission
from ordermgmt.models import Opportunity, Quote
from tests.approvals.factories import verify_checklist
from tests.ordermgmt.factories import (
    AccountFactory,
    ContactFactory,
    DocumentFactory,
    OpportunityFactory,
    RepFactory,
    SpecialistFactory,
    ready_opportunity,
)

pytestmark = pytest.mark.django_db

Status = Opportunity.ApprovalStatus


def login(client, user):
    client.force_login(user)
    return client


def submitted(owner, **kwargs) -> Opportunity:
    opp = ready_opportunity(owner=owner, **kwargs)
    approval_services.approval_submit(opportunity_id=opp.pk, actor=owner)
    return opp


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- navigation and permissions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "target"),
    [("rep", "/opportunities/"), ("specialist", "/queue/"), ("manager", "/queue/"), ("billing", "/billing/")],
)
def test_home_sends_each_role_to_its_work(client, request, fixture, target):
    login(client, request.getfixturevalue(fixture))

    response = client.get("/")

    assert response.status_code == 302
    assert response.url == target
    assert client.get(target).status_code == 200


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/queue/")

    assert response.status_code == 302
    assert response.url.startswith("/login/?next=/queue/")


@pytest.mark.parametrize("path", ["/queue/", "/billing/", "/team/"])
def test_rep_gets_the_403_page_for_staff_pages(client, rep, path):
    response = login(client, rep).get(path)

    assert response.status_code == 403
    assert b"You may not do this" in response.content
    assert b"Order Management" in response.content  # the page extends base.html


def test_rep_cannot_open_the_review_page(client, rep, other_rep):
    opp = submitted(other_rep)

    response = login(client, rep).get(f"/review/{opp.pk}/")

    assert response.status_code == 403


def test_rep_does_not_see_another_reps_opportunity(client, rep, other_rep):
    opp = ready_opportunity(owner=other_rep)

    response = login(client, rep).get(f"/opportunities/{opp.pk}/")

    assert response.status_code == 404
    assert b"Not found" in response.content


def test_specialist_posting_billing_approve_gets_403_and_nothing_changes(client, specialist, rep):
    opp = submitted(rep)
    approval_services.approval_approve(opportunity_id=opp.pk, actor=specialist)

    response = login(client, specialist).post(f"/review/{opp.pk}/billing-approve/", {"approve-comment": ""})

    assert response.status_code == 403
    opp.refresh_from_db()
    assert opp.approval_status == Status.OM_APPROVED


def test_specialist_of_another_region_gets_404_on_review(client, emea_specialist, rep):
    opp = submitted(rep)

    response = login(client, emea_specialist).get(f"/review/{opp.pk}/")

    assert response.status_code == 404


# --- rep pages -----------------------------------------------------------------------------------------------------


def test_my_opportunities_lists_only_mine_and_filters_by_search_and_status(client, rep, other_rep):
    mine = ready_opportunity(owner=rep, name="Acme renewal")
    ready_opportunity(owner=rep, name="Globex expansion")
    ready_opportunity(owner=other_rep, name="Acme other")
    login(client, rep)

    everything = client.get("/opportunities/").content.decode()
    searched = client.get("/opportunities/?search=acme").content.decode()
    approval_services.approval_submit(opportunity_id=mine.pk, actor=rep)
    by_status = client.get("/opportunities/?approval_status=submitted").content.decode()

    assert "Acme renewal" in everything
    assert "Globex expansion" in everything
    assert "Acme other" not in everything
    assert "Acme renewal" in searched
    assert "Globex expansion" not in searched
    assert "Acme renewal" in by_status
    assert "Globex expansion" not in by_status


def form_data(account, contact, **overrides):
    data = {
        "name": "Initech platform",
        "account": account.pk,
        "type": "new_business",
        "deployment": "self_managed",
        "route_to_market": "direct",
        "stage": "6-awaiting_signature",
        "amount": "25000.00",
        "net_arr": "25000.00",
        "arr_basis": "0",
        "start_date": "2026-12-01",
        "end_date": "2027-11-30",
        "close_date": "",
        "closed_won_reason": "Product fit",
        "closed_won_details": "Best CI",
        "competitors": "Other Vendor",
        "executed_agreement_type": "signed_order_form",
        "executed_agreement_link": "",
        "quote-number": "Q-UI-1",
        "quote-sold_to_contact": contact.pk,
        "quote-bill_to_contact": contact.pk,
        "quote-amount": "25000.00",
        "quote-start_date": "2026-12-01",
        "quote-term_months": "12",
        "quote-payment_terms": "net_30",
        "quote-po_number": "",
        "quote-po_amount": "",
        "quote-approved": "on",
    }
    data.update(overrides)
    return data


def test_create_form_saves_the_opportunity_and_its_primary_quote(client, rep):
    contact = ContactFactory()
    response = login(client, rep).post("/opportunities/new/", form_data(contact.account, contact))

    opp = Opportunity.objects.get(name="Initech platform")
    assert response.status_code == 302
    assert response.url == f"/opportunities/{opp.pk}/edit/"
    assert opp.owner == rep
    assert opp.region_id == "AMER"
    quote = Quote.objects.get(opportunity=opp, is_primary=True)
    assert (quote.number, quote.amount, quote.sold_to_contact) == ("Q-UI-1", Decimal("25000.00"), contact)


def test_invalid_form_re_renders_with_errors_and_keeps_what_was_typed(client, rep):
    contact = ContactFactory()
    data = form_data(contact.account, contact, amount="not a number", name="Typed name kept")

    response = login(client, rep).post("/opportunities/new/", data)

    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="Typed name kept"' in html
    assert "Enter a number." in html
    assert not Opportunity.objects.filter(name="Typed name kept").exists()


def test_contact_of_another_account_is_refused_by_the_form(client, rep):
    contact = ContactFactory()
    stranger = ContactFactory()

    response = login(client, rep).post(
        "/opportunities/new/", form_data(contact.account, contact, **{"quote-bill_to_contact": stranger.pk})
    )

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_stale_edit_gets_a_clear_conflict_message(client, rep):
    opp = ready_opportunity(owner=rep)
    quote = opp.primary_quote
    contact = quote.sold_to_contact
    stale_version = opp.version
    opportunity_update_elsewhere = {"name": "Changed in another tab"}
    from ordermgmt.services import opportunity_update

    opportunity_update(opportunity_id=opp.pk, actor=rep, data=opportunity_update_elsewhere)
    data = form_data(opp.account, contact, version=stale_version, **{"quote-number": quote.number, "name": "Mine"})

    response = login(client, rep).post(f"/opportunities/{opp.pk}/edit/", data)

    assert response.status_code == 409
    assert "changed since you loaded it" in response.content.decode()
    opp.refresh_from_db()
    assert opp.name == "Changed in another tab"


def test_locked_opportunity_edit_redirects_with_a_message(client, rep):
    opp = submitted(rep)

    response = login(client, rep).get(f"/opportunities/{opp.pk}/edit/", follow=True)

    assert response.redirect_chain[-1][0] == f"/opportunities/{opp.pk}/"
    assert any("locked" in m for m in messages_of(response))


def test_checklist_endpoint_evaluates_the_unsaved_form_and_saves_nothing(client, rep):
    opp = ready_opportunity(owner=rep)
    quote = opp.primary_quote
    base = form_data(opp.account, quote.sold_to_contact, **{"quote-number": quote.number})
    login(client, rep)

    complete = client.post(f"/opportunities/{opp.pk}/checklist/", base).content.decode()
    missing = client.post(
        f"/opportunities/{opp.pk}/checklist/", {**base, "competitors": "", "quote-amount": "1.00"}
    ).content.decode()

    assert 'data-complete="true"' in complete
    assert 'data-complete="false"' in missing
    assert 'data-code="competitors" data-met="false"' in missing
    assert 'data-code="amount_matches_quote" data-met="false"' in missing
    assert 'data-code="signed_order_form" data-met="true"' in missing  # documents come from the saved record
    opp.refresh_from_db()
    assert opp.competitors == "Other Vendor"


def test_checklist_for_a_new_opportunity_says_the_documents_are_missing(client, rep):
    contact = ContactFactory()

    html = login(client, rep).post("/opportunities/checklist/", form_data(contact.account, contact)).content.decode()

    assert 'data-code="signed_order_form" data-met="false"' in html
    assert 'data-code="quote_contacts" data-met="true"' in html


def test_submit_with_unmet_requirements_lists_what_is_missing(client, rep):
    opp = OpportunityFactory(owner=rep, competitors="")

    response = login(client, rep).post(f"/opportunities/{opp.pk}/submit/", follow=True)

    text = " ".join(messages_of(response))
    assert "Some booking requirements are not met" in text
    assert "Competitors named" in text
    opp.refresh_from_db()
    assert opp.approval_status == Status.DRAFT


def test_detail_shows_only_the_allowed_actions(client, rep):
    opp = ready_opportunity(owner=rep)
    login(client, rep)

    draft = client.get(f"/opportunities/{opp.pk}/").content.decode()
    approval_services.approval_submit(opportunity_id=opp.pk, actor=rep)
    waiting = client.get(f"/opportunities/{opp.pk}/").content.decode()

    assert f"/opportunities/{opp.pk}/submit/" in draft
    assert f"/opportunities/{opp.pk}/recall/" not in draft
    assert f"/opportunities/{opp.pk}/submit/" not in waiting
    assert f"/opportunities/{opp.pk}/recall/" in waiting
    assert f"/opportunities/{opp.pk}/escalate/" in waiting
    assert f"/cases/new/?opportunity={opp.pk}" in waiting


def test_escalate_without_reason_re_renders_and_with_reason_escalates(client, rep):
    opp = submitted(rep)
    login(client, rep)

    refused = client.post(f"/opportunities/{opp.pk}/escalate/", {"reason": "", "to_region": ""})
    # A hand-off to another region is for after the queue region's hours: 18:30 PT on a Tuesday.
    with time_machine.travel(datetime(2026, 12, 1, 18, 30, tzinfo=ZoneInfo("America/Los_Angeles")), tick=False):
        login(client, rep)  # a fresh session: the real one would have expired by then
        accepted = client.post(
            f"/opportunities/{opp.pk}/escalate/", {"reason": "Customer go-live", "to_region": "EMEA"}
        )

    assert refused.status_code == 400
    assert accepted.status_code == 302
    submission = Submission.objects.get(opportunity=opp, state="submitted")
    assert submission.escalated
    assert submission.region_id == "EMEA"


def test_document_upload_and_inline_pdf_served_same_origin(client, rep, specialist):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.ordermgmt.factories import PDF_BYTES

    opp = OpportunityFactory(owner=rep)
    login(client, rep)
    upload = SimpleUploadedFile("order.pdf", PDF_BYTES, content_type="application/pdf")

    response = client.post(f"/opportunities/{opp.pk}/documents/", {"kind": "signed_order_form", "file": upload})

    assert response.status_code == 302
    document = opp.documents.get()
    served = login(client, specialist).get(f"/opportunities/{opp.pk}/documents/{document.pk}/")
    assert served.status_code == 200
    assert served["X-Frame-Options"] == "SAMEORIGIN"
    assert served["Content-Disposition"].startswith("inline")
    assert b"".join(served.streaming_content) == PDF_BYTES


def test_non_pdf_documents_download_and_strangers_get_404(client, rep, other_rep):
    opp = OpportunityFactory(owner=rep)
    document = DocumentFactory(opportunity=opp, content_type="image/png", original_name="scan.png")
    login(client, rep)

    own = client.get(f"/opportunities/{opp.pk}/documents/{document.pk}/")
    stranger = login(client, other_rep).get(f"/opportunities/{opp.pk}/documents/{document.pk}/")

    assert own["Content-Disposition"].startswith("attachment")
    assert stranger.status_code == 404


def test_rejected_opportunity_shows_reasons_and_comment_at_the_top(client, rep, specialist):
    opp = submitted(rep)
    approval_services.approval_reject(
        opportunity_id=opp.pk, actor=specialist, reasons=["competitors"], comment="Name the competitor."
    )

    html = login(client, rep).get(f"/opportunities/{opp.pk}/").content.decode()

    assert "Competitors named (New Business)" in html
    assert "Name the competitor." in html
    assert "Resubmit" in html
    assert html.index('data-testid="rejection"') < html.index("<h1")


# --- queue --------------------------------------------------------------------------------------------------------


def make_queue(size: int, owner) -> list[Opportunity]:
    account = AccountFactory()
    opps = []
    for i in range(size):
        opp = ready_opportunity(owner=owner, account=account, start_date=date(2026, 12, 1) + timedelta(days=i % 7))
        approval_services.approval_submit(opportunity_id=opp.pk, actor=owner)
        opps.append(opp)
    return opps


def queue_queries(client, path="/queue/") -> int:
    from approvals.selectors import region_calendars_clear

    region_calendars_clear()  # count the region calendars' queries in both measurements
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_queue_page_query_count_is_the_same_for_5_and_50_items(client, rep, specialist):
    login(client, specialist)
    make_queue(5, rep)
    few = queue_queries(client)
    make_queue(45, rep)
    many = queue_queries(client)

    assert few == many
    assert Submission.objects.filter(state="submitted").count() == 50


def test_manager_queue_query_count_is_constant_too(client, rep, manager):
    login(client, manager)
    make_queue(5, rep)
    few = queue_queries(client)
    make_queue(45, rep)
    many = queue_queries(client)

    assert few == many


def test_billing_queue_query_count_is_constant_and_names_the_om_approver(client, rep, specialist, billing):
    def approve(opps):
        for opp in opps:
            approval_services.approval_approve(opportunity_id=opp.pk, actor=specialist)

    login(client, billing)
    approve(make_queue(2, rep))
    few = queue_queries(client, "/billing/")
    approve(make_queue(8, rep))
    many = queue_queries(client, "/billing/")

    assert few == many
    assert client.get("/billing/").content.decode().count(f'<td data-testid="claimed-by">{specialist}</td>') == 10


def test_manager_assign_select_lists_reviewers_with_the_claimant_selected(client, rep, specialist, manager):
    claimed, free = submitted(rep, name="Claimed one"), submitted(rep, name="Free one")
    approval_services.approval_claim(opportunity_id=claimed.pk, actor=specialist)

    html = login(client, manager).get("/queue/").content.decode()

    def select_of(opp) -> str:
        start = html.index(f'id="assign-{opp.pk}">')
        return html[start : html.index("</select>", start)]

    for opp in (claimed, free):
        assert f'<option value="{specialist.pk}" ' in select_of(opp)
        assert f'<option value="{manager.pk}" ' in select_of(opp)
    assert f'<option value="{specialist.pk}" selected>{specialist}</option>' in select_of(claimed)
    assert "selected" not in select_of(free)


def test_queue_rows_follow_the_priority_order(client, rep, specialist):
    late = submitted(rep, name="Late start", start_date=date(2027, 1, 15))
    early = submitted(rep, name="Early start", start_date=date(2026, 12, 1))
    urgent = submitted(rep, name="Urgent one", start_date=date(2027, 3, 1))
    approval_services.approval_escalate(opportunity_id=urgent.pk, actor=rep, reason="Customer down")

    html = login(client, specialist).get("/queue/").content.decode()

    positions = [html.index(f'data-opportunity="{o.pk}"') for o in (urgent, early, late)]
    assert positions == sorted(positions)
    assert 'data-testid="badge-escalated"' in html


def test_queue_pages_walk_the_whole_queue_in_order_and_keep_the_filters(client, rep, specialist, monkeypatch):
    # given: 7 waiting items and pages of 3
    monkeypatch.setattr("approvals.views.queue.QUEUE_PAGE_SIZE", 3)
    make_queue(7, rep)
    expected = [
        str(pk)
        for pk in Submission.objects.filter(state="submitted")
        .order_by(*QUEUE_ORDER)
        .values_list("opportunity_id", flat=True)
    ]
    login(client, specialist)

    # when: a specialist follows "Next" from the top of the unclaimed filter
    walked, positions, url, pages = [], [], "/queue/?region=AMER&claimed_by=none", 0
    while url:
        html = client.get(url).content.decode()
        walked += re.findall(r'data-testid="queue-row" data-opportunity="(\d+)"', html)
        positions += re.findall(r'<tr data-testid="queue-row"[^>]*>\s*<td>(\d+)</td>', html)
        assert ("queue-top" in html) == (pages > 0)
        found = re.search(r'href="\?([^"]+)" data-testid="queue-next"', html)
        url = "/queue/?" + found.group(1).replace("&amp;", "&") if found else None
        if url:
            assert "claimed_by=none" in url
            assert "region=AMER" in url
        pages += 1

    # then: every item once, in priority order, numbered on from page to page
    assert pages == 3
    assert walked == expected
    assert positions == [str(n) for n in range(1, 8)]


def test_a_broken_queue_page_link_shows_the_top_with_a_message(client, rep, specialist):
    opp = submitted(rep)

    html = login(client, specialist).get("/queue/?cursor=not-a-cursor&from=51").content.decode()

    assert f'data-opportunity="{opp.pk}"' in html
    assert "That page link is broken" in html
    assert "queue-top" not in html


def test_queue_rows_refresh_every_30s_with_the_current_filters(client, rep, specialist):
    submitted(rep)

    html = login(client, specialist).get("/queue/?region=AMER&claimed_by=none").content.decode()

    assert 'id="queue-rows" hx-get="/queue/?region=AMER&amp;claimed_by=none" hx-trigger="every 30s"' in html


def test_queue_refresh_returns_only_the_rows(client, rep, specialist):
    opp = submitted(rep)

    response = login(client, specialist).get(
        "/queue/?claimed_by=none", headers={"HX-Request": "true", "HX-Target": "queue-rows"}
    )

    html = response.content.decode()
    assert "<html" not in html
    assert "<table" not in html
    assert f'data-opportunity="{opp.pk}"' in html


def test_queue_filters_mine_and_unclaimed(client, rep, specialist):
    claimed = submitted(rep, name="Claimed by me")
    free = submitted(rep, name="Nobody's yet")
    approval_services.approval_claim(opportunity_id=claimed.pk, actor=specialist)
    login(client, specialist)

    mine = client.get("/queue/?claimed_by=me").content.decode()
    unclaimed = client.get("/queue/?claimed_by=none").content.decode()
    bogus = client.get("/queue/?claimed_by=nonsense")

    assert f'data-opportunity="{claimed.pk}"' in mine
    assert f'data-opportunity="{free.pk}"' not in mine
    assert f'data-opportunity="{free.pk}"' in unclaimed
    assert f'data-opportunity="{claimed.pk}"' not in unclaimed
    assert bogus.status_code == 200


def test_specialist_tabs_list_own_region_then_covered(client, rep, specialist):
    from approvals.services import specialist_set_coverage
    from tests.ordermgmt.factories import ManagerFactory

    specialist_set_coverage(actor=ManagerFactory(), specialist=specialist, regions=["APAC"])

    html = login(client, specialist).get("/queue/").content.decode()

    assert html.index(">AMER<") < html.index(">APAC<")
    assert ">EMEA<" not in html


def test_claim_from_the_queue_keeps_the_filters(client, rep, specialist):
    opp = submitted(rep)

    response = login(client, specialist).post(f"/queue/{opp.pk}/claim/", {"next": "/queue/?region=AMER&sla_state=ok"})

    assert response.url == "/queue/?region=AMER&sla_state=ok"
    assert Submission.objects.get(opportunity=opp, state="submitted").claimed_by == specialist


def test_claim_of_an_item_someone_else_holds_is_a_message_not_an_error(client, rep, specialist):
    opp = submitted(rep)
    other = SpecialistFactory()
    approval_services.approval_claim(opportunity_id=opp.pk, actor=other)

    response = login(client, specialist).post(f"/queue/{opp.pk}/claim/", follow=True)

    assert response.status_code == 200
    assert any("Already claimed" in m for m in messages_of(response))


# --- review and decisions --------------------------------------------------------------------------------------


def test_reject_without_a_reason_re_renders_and_keeps_the_comment(client, rep, specialist):
    opp = submitted(rep)

    response = login(client, specialist).post(
        f"/review/{opp.pk}/reject/", {"reject-comment": "Please fix the quote contacts"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Tick at least one reason." in html
    assert "Please fix the quote contacts" in html
    opp.refresh_from_db()
    assert opp.approval_status == Status.SUBMITTED


def test_approve_goes_straight_to_the_next_item(client, rep, specialist):
    first = submitted(rep, start_date=date(2026, 12, 1))
    second = submitted(rep, start_date=date(2026, 12, 2))
    taken = submitted(rep, start_date=date(2026, 12, 3))
    approval_services.approval_claim(opportunity_id=second.pk, actor=SpecialistFactory())
    verify_checklist(first, specialist)
    login(client, specialist)

    response = client.post(f"/review/{first.pk}/approve/", {"approve-comment": "Looks good"})

    assert response.url == f"/review/{taken.pk}/"  # the second is claimed by someone else
    first.refresh_from_db()
    assert first.approval_status == Status.OM_APPROVED


def test_last_decision_goes_back_to_the_queue_with_a_message(client, rep, specialist):
    opp = submitted(rep)

    response = login(client, specialist).post(
        f"/review/{opp.pk}/reject/",
        {"reject-reasons": ["competitors", "other"], "reject-comment": "Fix it"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/queue/"
    assert any("queue is empty" in m for m in messages_of(response))
    opp.refresh_from_db()
    assert opp.approval_status == Status.OM_REJECTED


def test_stale_page_decision_gets_a_clear_message(client, rep, specialist):
    opp = submitted(rep)
    approval_services.approval_approve(opportunity_id=opp.pk, actor=specialist)

    response = login(client, specialist).post(
        f"/review/{opp.pk}/reject/", {"reject-reasons": ["competitors"], "reject-comment": "late"}, follow=True
    )

    assert response.status_code == 200
    assert any("Cannot reject" in m for m in messages_of(response))


def test_review_page_shows_changes_since_the_last_rejection(client, rep, specialist):
    from ordermgmt.services import opportunity_update

    opp = submitted(rep)
    approval_services.approval_reject(opportunity_id=opp.pk, actor=specialist, reasons=["competitors"], comment="x")
    opportunity_update(opportunity_id=opp.pk, actor=rep, data={"competitors": "Vendor B"})
    approval_services.approval_submit(opportunity_id=opp.pk, actor=rep)

    html = login(client, specialist).get(f"/review/{opp.pk}/").content.decode()

    assert 'data-testid="changes-since-rejection"' in html
    assert "Vendor B" in html
    assert 'data-testid="document-frame"' in html


def test_billing_queue_and_approval_closes_the_deal(client, rep, specialist, billing):
    opp = submitted(rep)
    approval_services.approval_approve(opportunity_id=opp.pk, actor=specialist)
    login(client, billing)

    queue = client.get("/billing/").content.decode()
    response = client.post(f"/review/{opp.pk}/billing-approve/", {"approve-comment": ""}, follow=True)

    assert f'data-opportunity="{opp.pk}"' in queue
    assert response.redirect_chain[-1][0] == "/billing/"
    opp.refresh_from_db()
    assert (opp.approval_status, opp.stage) == (Status.CLOSED_WON, Opportunity.Stage.CLOSED_WON)


def test_billing_reject_needs_a_reason(client, rep, specialist, billing):
    opp = submitted(rep)
    approval_services.approval_approve(opportunity_id=opp.pk, actor=specialist)
    login(client, billing)

    refused = client.post(f"/review/{opp.pk}/billing-reject/", {"reject-comment": "PO missing"})
    done = client.post(
        f"/review/{opp.pk}/billing-reject/", {"reject-reasons": ["other"], "reject-comment": "PO missing"}
    )

    assert refused.status_code == 400
    assert done.status_code == 302
    opp.refresh_from_db()
    assert opp.approval_status == Status.BILLING_REJECTED


# --- manager ----------------------------------------------------------------------------------------------------


def test_manager_assigns_from_the_queue(client, rep, specialist, manager):
    opp = submitted(rep)

    response = login(client, manager).post(f"/queue/{opp.pk}/assign/", {"user": specialist.pk, "next": "/queue/"})

    assert response.url == "/queue/"
    assert Submission.objects.get(opportunity=opp, state="submitted").claimed_by == specialist


def test_specialist_cannot_assign(client, rep, specialist):
    opp = submitted(rep)

    response = login(client, specialist).post(f"/queue/{opp.pk}/assign/", {"user": specialist.pk})

    assert response.status_code == 403


def test_manager_sets_coverage_and_out_of_office(client, rep, specialist, manager):
    backup = SpecialistFactory(username="backup_amer")
    opp = submitted(rep)
    approval_services.approval_claim(opportunity_id=opp.pk, actor=specialist)
    login(client, manager)

    page = client.get("/team/").content.decode()
    coverage = client.post(f"/team/{specialist.pk}/coverage/", {f"c{specialist.pk}-regions": ["EMEA"]})
    ooo = client.post(
        f"/team/{specialist.pk}/out-of-office/",
        {
            f"o{specialist.pk}-start": "2026-12-01T08:00",
            f"o{specialist.pk}-end": "2026-12-05T18:00",
            f"o{specialist.pk}-backup": backup.pk,
        },
        follow=True,
    )

    assert "spec_amer" in page
    assert coverage.status_code == 302
    assert list(specialist.covered_regions.values_list("pk", flat=True)) == ["EMEA"]
    assert any("1 claimed item(s) moved" in m for m in messages_of(ooo))
    assert Submission.objects.get(opportunity=opp, state="submitted").claimed_by == backup


def test_out_of_office_end_before_start_keeps_input(client, specialist, manager):
    response = login(client, manager).post(
        f"/team/{specialist.pk}/out-of-office/",
        {f"o{specialist.pk}-start": "2026-12-05T08:00", f"o{specialist.pk}-end": "not a date"},
    )

    assert response.status_code == 400
    assert "2026-12-05T08:00" in response.content.decode()
    specialist.refresh_from_db()
    assert specialist.out_of_office_from is None


def test_pages_pass_the_strict_csp_without_inline_code(client, rep, specialist):
    opp = submitted(rep)
    import re

    login(client, specialist)
    for path in ("/queue/", f"/review/{opp.pk}/"):
        html = client.get(path).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert " style=" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path


def test_a_second_rep_account_contacts_do_not_leak_into_the_form(client, rep):
    mine = ContactFactory(name="Alice Mine")
    ContactFactory(name="Bob Elsewhere")

    html = login(client, rep).get(f"/opportunities/contact-options/?account={mine.account_id}").content.decode()

    assert "Alice Mine" in html
    assert "Bob Elsewhere" not in html


def test_other_rep_cannot_post_to_my_edit_form(client, rep):
    opp = ready_opportunity(owner=RepFactory())
    contact = opp.primary_quote.sold_to_contact

    response = login(client, rep).post(f"/opportunities/{opp.pk}/edit/", form_data(opp.account, contact))

    assert response.status_code == 404
