"""Every transition of the approval workflow and every refusal (role, object, state), through the API."""

import threading
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from approvals.models import Decision, Submission
from ordermgmt.models import Notification, Opportunity, OpportunityEvent
from tests.ordermgmt.factories import OpportunityFactory, SpecialistFactory, UserFactory, ready_opportunity, region

pytestmark = pytest.mark.django_db
PT = ZoneInfo("America/Los_Angeles")
# Tuesday 2026-12-01 10:00 PT: inside AMER support hours, no holiday.
TUESDAY_10AM = datetime(2026, 12, 1, 10, 0, tzinfo=PT)


def post(client, opp, action, body=None):
    return client.post(f"/api/opportunities/{opp.pk}/{action}/", body or {}, format="json")


@pytest.fixture
def submitted(as_user, rep):
    opp = ready_opportunity(owner=rep)
    with time_machine.travel(TUESDAY_10AM, tick=False):
        assert post(as_user(rep), opp, "submit").status_code == 200
    opp.refresh_from_db()
    return opp


def test_submit_moves_stage_to_closing_locks_and_queues_with_sla(as_user, rep):
    opp = ready_opportunity(owner=rep)
    with time_machine.travel(TUESDAY_10AM, tick=False):
        response = post(as_user(rep), opp, "submit")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["stage"], body["approval_status"]) == ("7-closing", "submitted")
    submission = Submission.objects.get(opportunity=opp)
    assert submission.region_id == "AMER"
    # 10:00 + 7 h to 17:00 Tuesday, + 5 h Wednesday from 07:00 -> Wednesday 12:00 PT
    assert submission.sla_due_at == datetime(2026, 12, 2, 12, 0, tzinfo=PT)
    assert as_user(rep).patch(f"/api/opportunities/{opp.pk}/", {"name": "x"}, format="json").status_code == 409
    assert OpportunityEvent.objects.filter(opportunity=opp, action="submitted", actor=rep).exists()


def test_submit_with_unmet_requirements_is_refused_field_by_field_and_queues_nothing(as_user, rep):
    opp = OpportunityFactory(owner=rep, competitors="", stage="5-negotiating")
    response = post(as_user(rep), opp, "submit")
    assert response.status_code == 400
    codes = {r["code"] for r in response.json()["unmet_requirements"]}
    assert {"stage_awaiting_signature", "competitors", "primary_quote_approved", "signed_order_form"} <= codes
    assert all("label" in r for r in response.json()["unmet_requirements"])
    assert not Submission.objects.exists()
    opp.refresh_from_db()
    assert (opp.approval_status, opp.stage) == ("draft", "5-negotiating")


def test_only_the_owner_submits(as_user, rep, other_rep, manager):
    opp = ready_opportunity(owner=rep)
    assert post(as_user(other_rep), opp, "submit").status_code == 404  # not even visible
    assert post(as_user(manager), opp, "submit").status_code == 403
    assert post(as_user(SpecialistFactory()), opp, "submit").status_code == 403


def test_recall_unlocks_and_returns_to_stage_6(as_user, rep, submitted):
    response = post(as_user(rep), submitted, "recall")
    assert response.status_code == 200
    assert (response.json()["approval_status"], response.json()["stage"]) == ("draft", "6-awaiting_signature")
    assert Submission.objects.get(opportunity=submitted).state == "recalled"
    assert (
        as_user(rep).patch(f"/api/opportunities/{submitted.pk}/", {"name": "edited"}, format="json").status_code == 200
    )


def test_recall_after_a_decision_is_409(as_user, rep, specialist, submitted):
    assert post(as_user(specialist), submitted, "approve", {"comment": "ok"}).status_code == 200
    response = post(as_user(rep), submitted, "recall")
    assert response.status_code == 409
    assert "waiting for Order Management" in response.json()["detail"]


def test_claim_then_someone_else_claims_409(as_user, specialist, submitted):
    other = SpecialistFactory()
    assert post(as_user(specialist), submitted, "claim").status_code == 200
    assert post(as_user(specialist), submitted, "claim").status_code == 200  # repeating your own claim: no-op
    response = post(as_user(other), submitted, "claim")
    assert response.status_code == 409
    assert "Already claimed" in response.json()["detail"]
    assert OpportunityEvent.objects.filter(opportunity=submitted, action="claimed").count() == 1


def test_specialist_of_another_region_cannot_see_or_act(as_user, emea_specialist, submitted):
    assert post(as_user(emea_specialist), submitted, "claim").status_code == 404
    assert post(as_user(emea_specialist), submitted, "approve").status_code == 404


def test_covering_specialist_can_claim_another_regions_item(as_user, emea_specialist, submitted):
    emea_specialist.covered_regions.add(region("AMER"))
    assert post(as_user(emea_specialist), submitted, "claim").status_code == 200


def test_approve_sends_to_billing_records_decision_and_notifies_rep(as_user, rep, specialist, submitted):
    with time_machine.travel(datetime(2026, 12, 1, 15, 30, tzinfo=PT), tick=False):
        response = post(as_user(specialist), submitted, "approve", {"comment": "All good"})
    assert response.status_code == 200
    assert response.json()["approval_status"] == "om_approved"
    decision = Decision.objects.get(submission__opportunity=submitted)
    assert (decision.stage, decision.outcome, decision.actor, decision.comment) == (
        "om",
        "approved",
        specialist,
        "All good",
    )
    assert decision.business_hours == Decimal("5.50")
    assert Notification.objects.filter(recipient=rep, verb="om_approved").exists()


def test_twenty_concurrent_approvals_one_wins_the_rest_409(transactional_db, rep):
    from rest_framework.test import APIClient

    specialists = [SpecialistFactory() for _ in range(20)]
    opp = ready_opportunity(owner=rep)
    client = APIClient()
    client.force_authenticate(rep)
    assert post(client, opp, "submit").status_code == 200
    barrier = threading.Barrier(20)
    statuses = []

    def approve(user):
        c = APIClient()
        c.force_authenticate(user)
        barrier.wait()
        try:
            statuses.append(post(c, opp, "approve", {"comment": "go"}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(s,)) for s in specialists]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [409] * 19
    assert Decision.objects.filter(submission__opportunity=opp).count() == 1
    assert OpportunityEvent.objects.filter(opportunity=opp, action="om_approved").count() == 1


def test_reject_needs_a_reason_and_a_comment(as_user, specialist, submitted):
    client = as_user(specialist)
    assert post(client, submitted, "reject", {"reasons": [], "comment": "x"}).status_code == 400
    response = post(client, submitted, "reject", {"reasons": ["signed_order_form"], "comment": ""})
    assert response.status_code == 400
    assert "comment" in response.json()
    response = post(client, submitted, "reject", {"reasons": ["not_a_code"], "comment": "x"})
    assert response.status_code == 400
    assert "reasons" in response.json()
    assert not Decision.objects.exists()


def test_reject_fix_resubmit_approve_billing_closed_won(as_user, rep, specialist, billing, submitted):
    with time_machine.travel(datetime(2026, 12, 1, 11, 0, tzinfo=PT)):  # after the submission, in order
        _reject_fix_resubmit_approve_close(as_user, rep, specialist, billing, submitted)


def _reject_fix_resubmit_approve_close(as_user, rep, specialist, billing, submitted):
    reject = post(
        as_user(specialist),
        submitted,
        "reject",
        {"reasons": ["signed_order_form", "other"], "comment": "Attach the signed form"},
    )
    assert reject.status_code == 200
    assert (reject.json()["approval_status"], reject.json()["stage"]) == ("om_rejected", "6-awaiting_signature")
    note = Notification.objects.get(recipient=rep, verb="om_rejected")
    assert "Attach the signed form" in note.message
    assert "Signed order form attached" in note.message
    # the rep fixes (edits are allowed again) and resubmits
    assert (
        as_user(rep)
        .patch(f"/api/opportunities/{submitted.pk}/", {"competitors": "Vendor B"}, format="json")
        .status_code
        == 200
    )
    assert post(as_user(rep), submitted, "submit").status_code == 200
    assert Submission.objects.filter(opportunity=submitted).count() == 2
    assert Notification.objects.filter(recipient=specialist, verb="resubmitted").exists()
    assert post(as_user(specialist), submitted, "approve", {"comment": "ok"}).status_code == 200
    # only Billing does the final review
    assert post(as_user(specialist), submitted, "billing-approve").status_code == 403
    with time_machine.travel(datetime(2026, 12, 3, 9, 0, tzinfo=PT)):
        final = post(as_user(billing), submitted, "billing-approve")
    assert final.status_code == 200
    assert (final.json()["stage"], final.json()["approval_status"], final.json()["close_date"]) == (
        "closed_won",
        "closed_won",
        "2026-12-03",
    )
    actions = [e["action"] for e in as_user(rep).get(f"/api/opportunities/{submitted.pk}/history/").json()]
    assert actions == ["submitted", "om_rejected", "updated", "resubmitted", "om_approved", "closed_won"]


def test_billing_reject_counts_and_allows_resubmission(as_user, rep, specialist, billing, submitted):
    post(as_user(specialist), submitted, "approve", {"comment": "ok"})
    response = post(
        as_user(billing), submitted, "billing-reject", {"reasons": ["po_number_on_quote"], "comment": "PO missing"}
    )
    assert response.status_code == 200
    assert response.json()["approval_status"] == "billing_rejected"
    assert Decision.objects.filter(stage="billing", outcome="rejected").count() == 1
    assert post(as_user(rep), submitted, "submit").status_code == 200


@pytest.mark.parametrize("action", ["approve", "claim", "billing-approve"])
def test_actions_on_a_draft_are_409(as_user, manager, billing, action):
    opp = ready_opportunity()
    user = billing if action.startswith("billing") else manager
    body = {"comment": "x"}
    response = post(as_user(user), opp, action, body)
    assert response.status_code == 409
    assert response.json()["detail"]


def test_escalate_flags_urgent_and_can_hand_to_another_region(as_user, rep, emea_specialist, submitted):
    assert post(as_user(rep), submitted, "escalate", {"reason": ""}).status_code == 400
    with time_machine.travel(datetime(2026, 12, 1, 12, 0, tzinfo=PT), tick=False):  # AMER is open: no hand-off
        inside = post(as_user(rep), submitted, "escalate", {"reason": "Go-live", "to_region": "EMEA"})
    assert inside.status_code == 400
    assert "after hours" in inside.json()["to_region"][0]
    assert not Submission.objects.get(opportunity=submitted).escalated
    with time_machine.travel(datetime(2026, 12, 1, 18, 30, tzinfo=PT), tick=False):  # after AMER's hours
        response = post(
            as_user(rep), submitted, "escalate", {"reason": "Customer go-live tomorrow", "to_region": "EMEA"}
        )
    assert response.status_code == 200
    submission = Submission.objects.get(opportunity=submitted)
    assert (submission.escalated, submission.region_id, submission.original_region_id) == (True, "EMEA", "AMER")
    assert Notification.objects.filter(recipient=emea_specialist, verb="escalated").exists()
    assert post(as_user(emea_specialist), submitted, "approve", {"comment": "done"}).status_code == 200


def test_assign_is_for_managers(as_user, manager, specialist, submitted):
    other = SpecialistFactory()
    assert post(as_user(specialist), submitted, "assign", {"user": other.pk}).status_code == 403
    assert post(as_user(manager), submitted, "assign", {"user": other.pk}).status_code == 200
    assert Submission.objects.get(opportunity=submitted).claimed_by == other
    assert post(as_user(manager), submitted, "assign", {"user": UserFactory(role="billing").pk}).status_code == 400
    # the claim of `other` now blocks `specialist`
    assert post(as_user(specialist), submitted, "approve", {"comment": "x"}).status_code == 409


def test_backup_acts_on_behalf_of_an_out_of_office_specialist(as_user, manager, specialist, submitted):
    from approvals.services import specialist_set_out_of_office

    backup = SpecialistFactory()
    post(as_user(specialist), submitted, "claim")
    away = timezone.now() - timedelta(minutes=1)  # an absence already started: the items move at once
    moved = specialist_set_out_of_office(actor=manager, specialist=specialist, start=away, end=None, backup=backup)
    assert moved == 1
    assert Submission.objects.get(opportunity=submitted).claimed_by == backup
    event = OpportunityEvent.objects.get(opportunity=submitted, action="reassigned")
    assert (event.actor, event.on_behalf_of) == (manager, specialist)


def test_rejection_reasons_are_the_requirement_codes_plus_other(as_user, rep):
    reasons = as_user(rep).get("/api/rejection-reasons/").json()
    codes = [r["code"] for r in reasons]
    assert codes[-1] == "other"
    assert {"signed_order_form", "eula_acceptance", "ibm_notification", "competitors"} <= set(codes)


def test_held_when_start_date_more_than_15_days_out(as_user, rep):
    opp = ready_opportunity(owner=rep)
    Opportunity.objects.filter(pk=opp.pk).update(start_date="2027-01-31", end_date="2028-01-30")
    with time_machine.travel(TUESDAY_10AM, tick=False):
        assert post(as_user(rep), opp, "submit").status_code == 200
    assert str(Submission.objects.get(opportunity=opp).held_until) == "2027-01-16"


def test_a_specialist_assigned_an_item_of_another_region_can_see_claim_and_decide_it_and_nothing_else(as_user, manager):
    from tests.ordermgmt.factories import RepFactory, ready_opportunity, region

    emea_rep = RepFactory(region=region("EMEA"))
    assigned, other = ready_opportunity(owner=emea_rep), ready_opportunity(owner=emea_rep)
    for opp in (assigned, other):
        post(as_user(emea_rep), opp, "submit")
    helper = SpecialistFactory(region=region("AMER"))
    assert post(as_user(manager), assigned, "assign", {"user": helper.pk}).status_code == 200
    client = as_user(helper)

    queue = {row["opportunity"] for row in client.get("/api/queue/").json()["results"]}
    assert queue == {assigned.pk}
    assert client.get(f"/api/opportunities/{assigned.pk}/").status_code == 200
    assert client.get(f"/api/opportunities/{other.pk}/").status_code == 404
    assert post(client, other, "claim").status_code == 404
    assert post(client, assigned, "claim").status_code == 200
    assert post(client, assigned, "approve", {"comment": "Checked for EMEA"}).status_code == 200
    assert Opportunity.objects.get(pk=assigned.pk).approval_status == "om_approved"


@pytest.mark.parametrize("sent", ["MARS", "EMEA"])
def test_a_rep_sending_an_unknown_or_another_region_gets_400_naming_it_and_nothing_is_saved(as_user, rep, sent):
    from tests.ordermgmt.factories import AccountFactory

    body = {"name": "Wrong region", "account": AccountFactory().pk, "region": sent, "type": "new_business",
            "route_to_market": "direct", "stage": "4-proposal", "amount": "10.00", "net_arr": "10.00"}  # fmt: skip
    response = as_user(rep).post("/api/opportunities/", body, format="json")
    assert response.status_code == 400
    assert "region" in response.json()
    assert not Opportunity.objects.filter(name="Wrong region").exists()


def test_a_rep_may_send_their_own_region_or_leave_it_out(as_user, rep):
    from tests.ordermgmt.factories import AccountFactory

    body = {"account": AccountFactory().pk, "type": "new_business", "route_to_market": "direct",
            "stage": "4-proposal", "amount": "10.00", "net_arr": "10.00"}  # fmt: skip
    for name, extra in (("Own region", {"region": rep.region_id}), ("No region", {})):
        response = as_user(rep).post("/api/opportunities/", {**body, "name": name, **extra}, format="json")
        assert response.status_code == 201, response.content
        assert response.json()["region"] == rep.region_id
