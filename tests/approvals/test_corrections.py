"""Corrections after Closed Won: opened by Billing or a manager with a reason, approved by Order Management like a
submission, the original kept and both shown in the history; counted by the KPIs as an error of the booking. The
full path through the API, and once in Chromium."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from approvals import services
from approvals.models import Correction
from ordermgmt.models import Opportunity, OpportunityEvent
from tests.ordermgmt.factories import BillingFactory, RepFactory, SpecialistFactory, ready_opportunity, region

Status = Opportunity.ApprovalStatus


def closed_won(rep, specialist, billing, **kwargs) -> Opportunity:
    opp = ready_opportunity(owner=rep, **kwargs)
    services.approval_submit(opportunity_id=opp.pk, actor=rep)
    services.approval_approve(opportunity_id=opp.pk, actor=specialist)
    services.approval_billing_approve(opportunity_id=opp.pk, actor=billing)
    opp.refresh_from_db()
    assert opp.approval_status == Status.CLOSED_WON
    return opp


@pytest.mark.django_db
def test_a_correction_through_the_api_from_opening_to_approval(as_user, rep, specialist, billing):
    opp = closed_won(rep, specialist, billing)
    before = opp.net_arr
    body = {"kind": "fields", "reason": "Net ARR excluded the ramp", "changes": {"net_arr": "18000.00"}}
    response = as_user(billing).post(f"/api/opportunities/{opp.pk}/corrections/", body, format="json")
    assert response.status_code == 201, response.content
    correction = response.json()
    assert (correction["state"], correction["original"], correction["changes"]) == (
        "pending",
        {"net_arr": str(before)},
        {"net_arr": "18000.00"},
    )
    assert Opportunity.objects.get(pk=opp.pk).net_arr == before  # nothing changes before Order Management approves

    pending = as_user(specialist).get("/api/corrections/?state=pending").json()["results"]
    assert [c["id"] for c in pending] == [correction["id"]]
    approved = as_user(specialist).post(f"/api/corrections/{correction['id']}/approve/", {}, format="json")
    assert approved.status_code == 200
    assert approved.json()["state"] == "approved"
    assert Opportunity.objects.get(pk=opp.pk).net_arr == Decimal("18000.00")
    history = as_user(rep).get(f"/api/opportunities/{opp.pk}/history/").json()
    lines = {h["action"]: h["changes"] for h in history}
    assert lines["correction_opened"] == {"net_arr": [str(before), "18000.00"]}
    assert lines["corrected"] == {"net_arr": [str(before), "18000.00"]}
    again = as_user(specialist).post(f"/api/corrections/{correction['id']}/approve/", {}, format="json")
    assert again.status_code == 409


@pytest.mark.django_db
def test_corrections_refuse_what_they_cannot_use(as_user, rep, specialist, billing, manager, emea_specialist):
    opp = closed_won(rep, specialist, billing)
    url = f"/api/opportunities/{opp.pk}/corrections/"
    bad = as_user(billing).post(url, {"reason": "x", "changes": {"stage": "1-discovery"}}, format="json")
    assert bad.status_code == 400
    assert "changes" in bad.json()
    no_reason = as_user(billing).post(url, {"reason": "", "changes": {"amount": "1.00"}}, format="json")
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()
    rebook = as_user(billing).post(url, {"kind": "rebook", "reason": "x", "changes": {"amount": "1"}}, format="json")
    assert rebook.status_code == 400  # a rebook gives the new close date
    assert as_user(rep).post(url, {"reason": "x", "changes": {"amount": "1.00"}}, format="json").status_code == 403
    first = as_user(manager).post(url, {"reason": "Amount typo", "changes": {"amount": "11000.00"}}, format="json")
    assert first.status_code == 201
    second = as_user(billing).post(url, {"reason": "Again", "changes": {"amount": "12.00"}}, format="json")
    assert second.status_code == 409
    correction_id = first.json()["id"]
    reject = f"/api/corrections/{correction_id}/reject/"
    assert as_user(specialist).post(reject, {"comment": ""}, format="json").status_code == 400
    assert as_user(emea_specialist).post(reject, {"comment": "No"}, format="json").status_code in (403, 404)
    assert as_user(specialist).post(reject, {"comment": "The order form says 10,000"}, format="json").status_code == 200
    assert Opportunity.objects.get(pk=opp.pk).amount == opp.amount  # rejected: the booking stays
    draft = ready_opportunity(owner=rep)
    refused = as_user(billing).post(
        f"/api/opportunities/{draft.pk}/corrections/", {"reason": "x", "changes": {"amount": "1.00"}}, format="json"
    )
    assert refused.status_code == 409


@pytest.mark.django_db
def test_the_accuracy_kpi_counts_an_approved_correction_as_an_error_of_the_booking(rep, specialist, billing):
    from django.utils import timezone

    from kpis import selectors as kpi
    from kpis.periods import month

    first, second = closed_won(rep, specialist, billing), closed_won(rep, specialist, billing)
    this_month = month(timezone.now().year, timezone.now().month)
    scope = kpi.Scope(this_month, None, None, None)
    assert kpi.approval_accuracy(scope)["pct"] == 100.0
    correction = services.correction_open(
        opportunity_id=first.pk, actor=billing, reason="Wrong Net ARR", changes={"net_arr": "1.00"}
    )
    services.correction_approve(correction_id=correction.pk, actor=specialist)
    accuracy = kpi.approval_accuracy(scope)
    assert (accuracy["decided"], accuracy["corrected"], accuracy["pct"]) == (2, 1, 50.0)
    assert second.pk != first.pk


@pytest.mark.django_db(transaction=True)
def test_billing_opens_a_correction_and_a_specialist_approves_it_in_chromium(browser_as):
    rep, specialist, billing = RepFactory(), SpecialistFactory(region=region("AMER")), BillingFactory()
    opp = closed_won(rep, specialist, billing, name="Correct me")

    page = browser_as(billing)
    page.goto(reverse("approvals:opportunity_detail", args=[opp.pk]))
    page.get_by_text("Correct this booking").click()
    page.fill("#id_correction-reason", "Net ARR excluded the ramp")
    page.fill("#id_correction-net_arr", "18000")
    page.get_by_role("button", name="Open correction").click()
    expect(page.get_by_text("sent to Order Management")).to_be_visible()
    expect(page.locator('[data-testid="correction"]')).to_have_attribute("data-state", "pending")

    reviewer = browser_as(specialist)
    reviewer.goto(reverse("approvals:queue"))
    expect(reviewer.locator('[data-testid="correction-row"]')).to_contain_text("Correct me")
    reviewer.get_by_role("button", name="Approve correction").click()
    expect(reviewer.get_by_text("Correction approved and applied")).to_be_visible()

    page.goto(reverse("approvals:opportunity_detail", args=[opp.pk]))
    expect(page.locator('[data-testid="correction"]')).to_have_attribute("data-state", "approved")
    expect(page.locator('[data-testid="history"]')).to_contain_text(re.compile("Corrected"))
    assert Opportunity.objects.get(pk=opp.pk).net_arr == Decimal("18000.00")
    assert Correction.objects.get().original == {"net_arr": str(opp.net_arr)}
    assert OpportunityEvent.objects.filter(opportunity=opp, action="corrected").count() == 1
