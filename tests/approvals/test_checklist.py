"""The verified checklist: the reviewer ticks each booking requirement and each document's kind as verified, or
marks it failed with a reason code that becomes a rejection reason; Order Management approves only a checklist
verified end to end. Through the services, the API, the page, and once in Chromium."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from playwright.sync_api import expect
from rest_framework.test import APIClient

from approvals import selectors, services
from approvals.models import Decision, Verification
from ordermgmt.exceptions import Conflict, NotVisibleError, PermissionDeniedError
from ordermgmt.models import Document, Opportunity, OpportunityEvent
from tests.approvals.factories import verify_checklist
from tests.ordermgmt.factories import DocumentFactory, RepFactory, SpecialistFactory, ready_opportunity

Status = Opportunity.ApprovalStatus
pytestmark = pytest.mark.django_db


def submitted(rep, **kwargs) -> Opportunity:
    opp = ready_opportunity(owner=rep, **kwargs)
    services.approval_submit(opportunity_id=opp.pk, actor=rep)
    opp.refresh_from_db()
    return opp


def rows(opp) -> dict:
    return {row.item: row for row in services.submission_checklist(opp, selectors.open_submission(opportunity=opp))}


def mark(opp, actor, item, verdict, **kwargs):
    return services.checklist_mark(opportunity_id=opp.pk, actor=actor, item=item, verdict=verdict, **kwargs)


def test_the_checklist_lists_every_requirement_that_applies_and_every_documents_kind(rep):
    opp = submitted(rep)
    document = opp.documents.get()
    checklist = rows(opp)

    assert "signed_order_form" in checklist
    assert "closed_won_reason" in checklist
    assert "ibm_notification" not in checklist  # a rule of another route to market does not apply
    assert checklist[f"document:{document.pk}"].label.startswith("Document is a signed order form")
    assert all(row.met for row in checklist.values())
    assert not any(row.verdict for row in checklist.values())


def test_verify_mark_failed_and_clear_each_write_a_history_line(rep, specialist):
    opp = submitted(rep)
    mark(opp, specialist, "competitors", "verified")
    mark(opp, specialist, "closed_won_reason", "failed", note="The reason is a copy of another deal's")
    assert rows(opp)["competitors"].verdict == "verified"
    failed = rows(opp)["closed_won_reason"]
    assert (failed.verdict, failed.verification.reason) == ("failed", "closed_won_reason")  # its own code

    mark(opp, specialist, "competitors", "clear")

    assert rows(opp)["competitors"].verdict == ""
    events = list(OpportunityEvent.objects.filter(opportunity=opp, action__startswith="checklist_").order_by("pk"))
    assert [e.action for e in events] == ["checklist_verified", "checklist_failed", "checklist_cleared"]
    assert events[1].changes["reasons"] == ["closed_won_reason"]
    assert events[1].comment == "The reason is a copy of another deal's"


def test_a_failed_document_kind_defaults_to_the_requirement_that_document_meets(rep, specialist):
    opp = submitted(rep)
    document = opp.documents.get(kind=Document.Kind.SIGNED_ORDER_FORM)

    mark(opp, specialist, f"document:{document.pk}", "failed", note="Not signed: a draft")

    assert rows(opp)[f"document:{document.pk}"].verification.reason == "signed_order_form"


@pytest.mark.parametrize(
    ("item", "verdict", "extra", "field"),
    [
        ("no_such_rule", "verified", {}, "item"),
        ("document:999999", "verified", {}, "item"),
        ("competitors", "maybe", {}, "verdict"),
        ("competitors", "failed", {"reason": "bogus"}, "reason"),
    ],
)
def test_bad_marks_are_refused_naming_the_field_and_change_nothing(rep, specialist, item, verdict, extra, field):
    opp = submitted(rep)
    with pytest.raises(ValidationError) as refused:
        mark(opp, specialist, item, verdict, **extra)
    assert field in refused.value.message_dict
    assert not Verification.objects.exists()


def test_an_unmet_requirement_cannot_be_verified_only_failed(rep, specialist):
    opp = submitted(rep)
    document = opp.documents.get()
    DocumentFactory(opportunity=opp, kind=Document.Kind.OTHER)
    Document.all_objects.filter(pk=document.pk).update(kind=Document.Kind.OTHER)  # the form no longer qualifies
    opp = Opportunity.objects.get(pk=opp.pk)
    assert not rows(opp)["signed_order_form"].met

    with pytest.raises(ValidationError) as refused:
        mark(opp, specialist, "signed_order_form", "verified")
    assert "verdict" in refused.value.message_dict
    mark(opp, specialist, "signed_order_form", "failed")
    assert rows(opp)["signed_order_form"].verdict == "failed"


def test_only_the_reviewer_who_may_decide_marks_the_checklist(rep):
    opp = submitted(rep)
    claimer, colleague = SpecialistFactory(), SpecialistFactory()
    services.approval_claim(opportunity_id=opp.pk, actor=claimer)

    with pytest.raises(PermissionDeniedError):
        mark(opp, rep, "competitors", "verified")  # the rep sees the deal but does not review it
    with pytest.raises(NotVisibleError):
        mark(opp, SpecialistFactory(region_id="EMEA"), "competitors", "verified")  # another region: not found
    with pytest.raises(Conflict):
        mark(opp, colleague, "competitors", "verified")  # claimed by someone else
    assert not Verification.objects.exists()


def test_a_failed_item_blocks_approval_and_joins_the_rejections_reasons(rep, specialist):
    opp = submitted(rep)
    mark(opp, specialist, "closed_won_reason", "failed")
    verify_checklist_except = [item for item in rows(opp) if item != "closed_won_reason"]

    with pytest.raises(Conflict):
        services.approval_approve(opportunity_id=opp.pk, actor=specialist, verified=verify_checklist_except)
    assert Opportunity.objects.get(pk=opp.pk).approval_status == Status.SUBMITTED

    services.approval_reject(opportunity_id=opp.pk, actor=specialist, reasons=["competitors"], comment="Fix both")

    decision = Decision.objects.get(submission__opportunity=opp)
    assert decision.reasons == ["competitors", "closed_won_reason"]  # given first, then the failed item's


def test_the_page_approves_only_a_checklist_verified_item_by_item(client, rep, specialist):
    opp = submitted(rep)
    client.force_login(specialist)

    response = client.post(reverse("approvals:approve", args=[opp.pk]), {"approve-comment": ""}, follow=True)
    assert "Verify every item before approving" in response.content.decode()
    assert Opportunity.objects.get(pk=opp.pk).approval_status == Status.SUBMITTED

    for item in rows(opp):
        answer = client.post(reverse("approvals:checklist_mark", args=[opp.pk]), {"item": item, "verdict": "verified"})
        assert answer.status_code == 302
    client.post(reverse("approvals:approve", args=[opp.pk]), {"approve-comment": ""})

    assert Opportunity.objects.get(pk=opp.pk).approval_status == Status.OM_APPROVED
    assert not Verification.objects.filter(at_approval=True).exists()


def test_the_checklist_partial_comes_back_in_place_for_htmx_with_the_approve_button(client, rep, specialist):
    opp = submitted(rep)
    client.force_login(specialist)
    *first, last = rows(opp)
    verify_checklist_items = first
    for item in verify_checklist_items:
        services.checklist_mark(opportunity_id=opp.pk, actor=specialist, item=item, verdict="verified")

    response = client.post(
        reverse("approvals:checklist_mark", args=[opp.pk]),
        {"item": last, "verdict": "verified"},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="verify-checklist"' in html
    assert 'data-ready="true"' in html
    assert 'id="approve-button"' in html
    assert 'hx-swap-oob="true"' in html
    assert "disabled" not in html.split('id="approve-button"')[1].split(">")[0]


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_reads_and_marks_the_checklist_and_approves_with_a_verified_list(rep, specialist):
    opp = submitted(rep)
    url = f"/api/opportunities/{opp.pk}/checklist/"

    listed = _api(rep).get(url)
    assert listed.status_code == 200
    items = [row["item"] for row in listed.json()]
    assert {"item", "label", "kind", "met", "verdict", "reason", "by", "at"} <= set(listed.json()[0])

    marked = _api(specialist).post(url, {"item": items[0], "verdict": "verified"}, format="json")
    assert marked.status_code == 200
    assert marked.json()[0]["verdict"] == "verified"
    assert marked.json()[0]["by"] == specialist.pk
    refused = _api(specialist).post(url, {"item": "nope", "verdict": "verified"}, format="json")
    assert refused.status_code == 400
    assert "item" in refused.json()
    assert _api(rep).post(url, {"item": items[1], "verdict": "verified"}, format="json").status_code == 403

    short = _api(specialist).post(f"/api/opportunities/{opp.pk}/approve/", {"verified": items[1:-1]}, format="json")
    assert short.status_code == 400
    assert "verified" in short.json()
    done = _api(specialist).post(f"/api/opportunities/{opp.pk}/approve/", {"verified": items[1:]}, format="json")
    assert done.status_code == 200
    assert done.json()["approval_status"] == "om_approved"
    assert Verification.objects.filter(submission__opportunity=opp, verdict="verified").count() == len(items)


def test_an_api_approval_without_a_list_attests_the_whole_checklist_as_api_md_describes(rep, specialist):
    opp = submitted(rep)
    n = len(rows(opp))

    response = _api(specialist).post(f"/api/opportunities/{opp.pk}/approve/", {"comment": "ok"}, format="json")

    assert response.status_code == 200
    assert Verification.objects.filter(submission__opportunity=opp, at_approval=True, actor=specialist).count() == n


def test_a_specialist_verifies_fails_and_rejects_in_chromium(browser_as, screenshot):
    rep = RepFactory()
    specialist = SpecialistFactory()
    opp = submitted(rep, name="Checklist deal")
    verify_checklist(opp, specialist)
    services.checklist_mark(opportunity_id=opp.pk, actor=specialist, item="competitors", verdict="clear")
    page = browser_as(specialist)
    page.goto(reverse("approvals:review", args=[opp.pk]))
    checklist = page.locator('[data-testid="verify-checklist"]')
    expect(checklist).to_have_attribute("data-ready", "false")
    expect(page.get_by_role("button", name="Approve", exact=True)).to_be_disabled()

    row = checklist.locator('li[data-item="competitors"]')
    row.locator("summary").click()
    row.get_by_label("Note on Competitors named").fill("Names a partner, not a competitor")
    row.get_by_role("button", name="Mark Competitors named (New Business) failed").click()
    expect(checklist.locator('li[data-item="competitors"]')).to_have_attribute("data-verdict", "failed")
    expect(page.locator('[data-testid="verify-status"]')).to_contain_text("1 marked failed")
    expect(page.get_by_role("button", name="Approve", exact=True)).to_be_disabled()
    screenshot(page, "review-checklist-failed")

    page.reload()  # the reject form comes with the failed item's reason ticked
    expect(page.get_by_role("checkbox", name="Competitors named (New Business)")).to_be_checked()
    page.fill("#id_reject-comment", "Please name the real competitors.")
    page.get_by_role("button", name="Reject", exact=True).click()
    page.locator("#confirm-modal").get_by_role("button", name="Yes, go ahead").click()
    expect(page.locator('[data-testid="message"]').first).to_contain_text("rejected")
    assert Decision.objects.get(submission__opportunity=opp).reasons == ["competitors"]
