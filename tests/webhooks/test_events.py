"""The events: recorded by the owning services in their own transaction, one delivery per subscribed active endpoint,
nothing when nobody subscribes, nothing when the change rolls back."""

from datetime import date

import pytest
from django.db import transaction

from approvals import services as approvals
from cases import services as cases
from ordermgmt.services.integration import EVENT_KINDS, integration_event_emit, integration_events_emit
from tests.licenses.factories import TUE, closed_won, review
from tests.ordermgmt.factories import BillingFactory, ManagerFactory, RepFactory, SpecialistFactory, ready_opportunity
from tests.subscriptions.factories import RenewalFactory, SubscriptionFactory, run
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEvent

pytestmark = pytest.mark.django_db


def _subscribe(kinds=tuple(EVENT_KINDS), url="http://127.0.0.1:9/hooks", **kwargs):
    endpoint, _ = services.webhook_endpoint_create(actor=ManagerFactory(), url=url, event_kinds=list(kinds), **kwargs)
    return endpoint


def _kinds():
    return list(WebhookEvent.objects.order_by("occurred_at", "kind").values_list("kind", flat=True))


def test_nobody_subscribed_records_nothing_with_one_query(django_assert_num_queries):
    _subscribe(kinds=["case.closed"])
    with django_assert_num_queries(1):
        integration_event_emit(kind="case.opened", data={"case": {"id": 1}})
    assert not WebhookEvent.objects.exists()


def test_each_active_subscribed_endpoint_gets_one_delivery(django_capture_on_commit_callbacks):
    a = _subscribe(kinds=["case.opened"], url="http://127.0.0.1:9/a")
    b = _subscribe(kinds=["case.opened", "case.closed"], url="http://127.0.0.1:9/b")
    _subscribe(kinds=["case.closed"], url="http://127.0.0.1:9/c")
    _subscribe(kinds=["case.opened"], url="http://127.0.0.1:9/d", is_active=False)

    with django_capture_on_commit_callbacks() as published, transaction.atomic():
        integration_event_emit(kind="case.opened", data={"case": {"id": 1}})

    event = WebhookEvent.objects.get()
    assert set(event.deliveries.values_list("endpoint", flat=True)) == {a.pk, b.pk}
    assert len(published) == 2  # one publish per delivery, after commit


def test_a_change_that_rolls_back_leaves_no_event(django_capture_on_commit_callbacks):
    _subscribe()

    def failing_service():
        with transaction.atomic():
            integration_event_emit(kind="case.opened", data={"case": {"id": 1}})
            raise RuntimeError("the service failed after emitting")

    with django_capture_on_commit_callbacks() as published, pytest.raises(RuntimeError):
        failing_service()
    assert not WebhookEvent.objects.exists()
    assert not published


def test_a_bulk_emit_records_one_event_per_item_each_with_its_own_id():
    _subscribe()
    integration_events_emit(kind="discrepancy.found", items=({"discrepancy": {"id": n}} for n in range(2500)))
    assert WebhookEvent.objects.count() == 2500
    assert WebhookDelivery.objects.count() == 2500
    assert WebhookEvent.objects.values("id").distinct().count() == 2500


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown integration event kind"):
        integration_event_emit(kind="opportunity.exploded")


def test_the_approval_workflow_emits_submitted_decided_and_closed_won():
    _subscribe()
    rep, specialist, billing = RepFactory(), SpecialistFactory(), BillingFactory()
    opp = ready_opportunity(owner=rep)

    approvals.approval_submit(opportunity_id=opp.pk, actor=rep)
    approvals.approval_reject(opportunity_id=opp.pk, actor=specialist, reasons=["other"], comment="Wrong PO")
    approvals.approval_submit(opportunity_id=opp.pk, actor=rep)
    approvals.approval_approve(opportunity_id=opp.pk, actor=specialist)
    approvals.approval_billing_approve(opportunity_id=opp.pk, actor=billing)

    assert _kinds() == [
        "opportunity.submitted",
        "opportunity.om_rejected",
        "opportunity.submitted",
        "opportunity.om_approved",
        "opportunity.billing_approved",
        "opportunity.closed_won",
    ]
    rejected = WebhookEvent.objects.get(kind="opportunity.om_rejected")
    assert rejected.data["reasons"] == ["other"]
    assert rejected.data["opportunity"]["id"] == opp.pk
    assert rejected.data["opportunity"]["approval_status"] == "om_rejected"
    won = WebhookEvent.objects.get(kind="opportunity.closed_won").data["opportunity"]
    assert (won["approval_status"], won["stage"]) == ("closed_won", "closed_won")
    assert won["amount"] == str(opp.amount)  # money as a decimal string, as in the API


def test_billing_rejection_and_corrections_emit_their_events():
    rep, specialist, billing = RepFactory(), SpecialistFactory(), BillingFactory()
    opp = ready_opportunity(owner=rep)
    approvals.approval_submit(opportunity_id=opp.pk, actor=rep)
    approvals.approval_approve(opportunity_id=opp.pk, actor=specialist)
    _subscribe(kinds=["opportunity.billing_rejected", "correction.opened", "correction.decided"])
    approvals.approval_billing_reject(opportunity_id=opp.pk, actor=billing, reasons=["other"], comment="PO missing")
    approvals.approval_submit(opportunity_id=opp.pk, actor=rep)
    approvals.approval_approve(opportunity_id=opp.pk, actor=specialist)
    approvals.approval_billing_approve(opportunity_id=opp.pk, actor=billing)

    correction = approvals.correction_open(
        opportunity_id=opp.pk, actor=billing, reason="Net ARR excluded the ramp", changes={"net_arr": "18000.00"}
    )
    approvals.correction_approve(correction_id=correction.pk, actor=specialist)

    assert _kinds() == ["opportunity.billing_rejected", "correction.opened", "correction.decided"]
    decided = WebhookEvent.objects.get(kind="correction.decided").data
    assert decided["correction"] == {"id": correction.pk, "state": "approved"}
    assert decided["opportunity"]["net_arr"] == "18000.00"


def test_cases_emit_opened_and_closed():
    from importlib import import_module

    from django.apps import apps

    import_module("cases.migrations.0002_seed_teams").seed(apps, None)
    _subscribe(kinds=["case.opened", "case.closed"])
    rep = RepFactory()
    opp = ready_opportunity(owner=rep)
    case = cases.case_open(
        opportunity_id=opp.pk,
        actor=rep,
        team="deal_desk",
        request_type="basic_quote_assistance",
        subject="Quote help",
        details="The discount line is wrong.",
        field_values={"quote_number": "Q-000123"},
    )
    cases.case_close(case_id=case.pk, actor=rep)  # the requester withdraws it

    assert _kinds() == ["case.opened", "case.closed"]
    for event in WebhookEvent.objects.all():
        assert event.data["case"] == {"id": case.pk, "number": case.number}
        assert event.data["opportunity"]["id"] == opp.pk


def test_the_license_review_emits_one_event_per_ticket():
    _subscribe(kinds=["license_ticket.opened"])
    first, second = closed_won(), closed_won()

    review(TUE)

    events = WebhookEvent.objects.filter(kind="license_ticket.opened")
    assert sorted(e.data["opportunity"]["id"] for e in events) == sorted([first.pk, second.pk])
    assert {e.data["license_ticket"]["reason"] for e in events} == {"no_delivery"}


def test_a_reconciliation_run_emits_each_discrepancy_once_when_first_found():
    _subscribe(kinds=["discrepancy.found"])
    sub = SubscriptionFactory()
    RenewalFactory(subscription=sub, arr_basis=sub.carr + 100)

    first = run(as_of=date(2026, 11, 2))
    found = list(WebhookEvent.objects.values_list("data", flat=True))
    run(as_of=date(2026, 11, 3))  # found again: not new, no second event

    assert found, first.counts
    assert WebhookEvent.objects.count() == len(found)
    assert {d["discrepancy"]["subscription_id"] for d in found} == {sub.pk}
    assert all(d["discrepancy"]["id"] for d in found)
