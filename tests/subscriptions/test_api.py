"""The subscriptions, invoices and reconciliation API: roles, upserts, bad input, runs and resolution."""

from datetime import date
from decimal import Decimal

import pytest

from ordermgmt.models import Opportunity, OutboxMessage
from subscriptions import services
from subscriptions.models import Discrepancy, Invoice, ReconciliationRun, Subscription
from tests.ordermgmt.factories import AccountFactory, UserFactory

from .factories import InvoiceFactory, RenewalFactory, SubscriptionFactory, WonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def integration():
    return UserFactory(role="integration")


def sub_payload(owner_account, **overrides):
    return {
        "name": "A-S0000001",
        "account": owner_account.pk,
        "status": "active",
        "term_start": "2025-12-01",
        "term_end": "2026-11-30",
        "carr": "24000.00",
        "exception": None,
        **overrides,
    }


def test_integration_upserts_a_subscription_by_name(as_user, integration):
    account = AccountFactory()
    client = as_user(integration)

    created = client.post("/api/subscriptions/", sub_payload(account), format="json")
    updated = client.post("/api/subscriptions/", sub_payload(account, carr="30000.00"), format="json")

    assert created.status_code == 201, created.data
    assert updated.status_code == 200, updated.data
    assert updated.data["id"] == created.data["id"]
    assert Subscription.objects.get().carr == Decimal("30000.00")
    assert created.data["renewal_opportunity"] is None


def test_subscription_shows_its_non_duplicate_renewal(as_user, specialist):
    sub = SubscriptionFactory()
    RenewalFactory(subscription=sub, stage=Opportunity.Stage.DUPLICATE)
    renewal = RenewalFactory(subscription=sub)

    response = as_user(specialist).get(f"/api/subscriptions/{sub.pk}/")

    assert response.status_code == 200
    assert response.data["renewal_opportunity"] == renewal.pk
    assert set(response.data) >= {"id", "name", "account", "status", "term_start", "term_end", "carr", "exception"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"term_end": "2025-01-01"}, "term_end"),
        ({"carr": "-1"}, "carr"),
        ({"carr": "abc"}, "carr"),
        ({"account": 999999}, "account"),
        ({"status": "paused"}, "status"),
        ({"exception": "contract_reset", "exception_reason": ""}, "exception_reason"),
        ({"exception": "other"}, "exception"),
        ({"term_start": "not-a-date"}, "term_start"),
    ],
)
def test_bad_subscription_input_is_a_400_naming_the_field(as_user, integration, overrides, field):
    response = as_user(integration).post(
        "/api/subscriptions/", sub_payload(AccountFactory(), **overrides), format="json"
    )

    assert response.status_code == 400
    assert field in response.data
    assert not Subscription.objects.exists()


def test_invoice_upsert_and_account_check(as_user, integration):
    opp = WonFactory()
    payload = {
        "number": "INV-1",
        "account": opp.account_id,
        "opportunity": opp.pk,
        "amount": "100.00",
        "invoice_date": "2026-10-20",
    }
    client = as_user(integration)

    assert client.post("/api/invoices/", payload, format="json").status_code == 201
    assert client.post("/api/invoices/", {**payload, "amount": "200.00"}, format="json").status_code == 200
    wrong = client.post("/api/invoices/", {**payload, "number": "INV-2", "account": AccountFactory().pk}, format="json")

    assert wrong.status_code == 400
    assert "opportunity" in wrong.data
    assert list(Invoice.objects.values_list("number", "amount")) == [("INV-1", Decimal("200.00"))]


@pytest.mark.parametrize(
    ("role", "get_status", "post_status"),
    [("sales_rep", 403, 403), ("billing", 200, 403), ("integration", 403, 400), ("specialist", 200, 400)],
)
def test_who_may_read_and_feed_billing_records(as_user, role, get_status, post_status):
    client = as_user(UserFactory(role=role))
    assert client.get("/api/subscriptions/").status_code == get_status
    assert client.get("/api/invoices/").status_code == get_status
    assert client.post("/api/invoices/", {}, format="json").status_code == post_status


def test_starting_a_run_answers_202_and_a_second_start_409_with_the_running_one(as_user, specialist):
    client = as_user(specialist)

    first = client.post("/api/reconciliation/runs/", {"kind": "renewals"}, format="json")
    second = client.post("/api/reconciliation/runs/", {"kind": "renewals"}, format="json")

    assert first.status_code == 202, first.data
    assert first.data["status"] == "queued"
    assert set(first.data) >= {"id", "kind", "status", "progress", "started_at", "finished_at", "counts"}
    assert second.status_code == 409
    assert second.data["run"]["id"] == first.data["id"]
    assert ReconciliationRun.objects.count() == 1
    assert OutboxMessage.objects.get().kwargs == {"run_id": first.data["id"]}


@pytest.mark.parametrize(
    ("body", "field"), [({"kind": "weekly"}, "kind"), ({}, "kind"), ({"kind": "bookings", "month": "2026-13"}, "month")]
)
def test_bad_run_input_is_a_400(as_user, manager, body, field):
    response = as_user(manager).post("/api/reconciliation/runs/", body, format="json")
    assert response.status_code == 400
    assert field in response.data
    assert not ReconciliationRun.objects.exists()


@pytest.mark.parametrize("role", ["sales_rep", "billing", "integration"])
def test_only_specialists_and_managers_start_runs(as_user, role):
    response = as_user(UserFactory(role=role)).post("/api/reconciliation/runs/", {"kind": "renewals"}, format="json")
    assert response.status_code == 403
    assert not ReconciliationRun.objects.exists()


@pytest.fixture
def found():
    """Run renewals over a world with an ARR basis mismatch and an orphan renewal."""
    sub = SubscriptionFactory(carr=Decimal("500.00"))
    opp = RenewalFactory(subscription=sub, arr_basis=Decimal("400.00"))
    RenewalFactory()
    run = services.reconciliation_run_create(kind="renewals", as_of=date(2026, 11, 2), enqueue=False)
    services.reconciliation_run_execute(run_id=run.pk)
    return {"run": run, "opp": opp}


def test_run_detail_and_discrepancy_list_with_filters(as_user, billing, found, django_assert_max_num_queries):
    client = as_user(billing)

    run = client.get(f"/api/reconciliation/runs/{found['run'].pk}/")
    with django_assert_max_num_queries(4):
        listed = client.get("/api/reconciliation/discrepancies/", {"kind": "arr_basis_mismatch", "status": "open"})
    by_run = client.get("/api/reconciliation/discrepancies/", {"run": found["run"].pk})

    assert run.data["status"] == "done"
    assert run.data["counts"]["arr_basis_mismatch"] == 1
    [row] = listed.data["results"]
    assert row["opportunity"] == found["opp"].pk
    assert row["expected"] == {"arr_basis": "500.00"}
    assert row["status"] == "open"
    assert by_run.data["count"] == 2


def test_resolve_apply_then_undo(as_user, specialist, found):
    client = as_user(specialist)
    discrepancy = Discrepancy.objects.get(kind="arr_basis_mismatch")

    applied = client.post(
        f"/api/reconciliation/discrepancies/{discrepancy.pk}/resolve/", {"action": "apply"}, format="json"
    )
    assert applied.status_code == 200, applied.data
    assert applied.data["status"] == "fixed"
    found["opp"].refresh_from_db()
    assert found["opp"].arr_basis == Decimal("500.00")

    undone = client.post(f"/api/reconciliation/discrepancies/{discrepancy.pk}/undo/", {}, format="json")
    assert undone.data["status"] == "open"
    found["opp"].refresh_from_db()
    assert found["opp"].arr_basis == Decimal("400.00")


def test_resolve_refusals(as_user, specialist, billing, found):
    orphan = Discrepancy.objects.get(kind="orphan_renewal")
    url = f"/api/reconciliation/discrepancies/{orphan.pk}/resolve/"

    assert as_user(billing).post(url, {"action": "apply"}, format="json").status_code == 403
    no_fix = as_user(specialist).post(url, {"action": "apply"}, format="json")
    no_reason = as_user(specialist).post(url, {"action": "accept"}, format="json")
    bad_action = as_user(specialist).post(url, {"action": "ignore"}, format="json")
    accepted = as_user(specialist).post(url, {"action": "accept", "reason": "Migrated deal"}, format="json")

    assert no_fix.status_code == 409
    assert (no_reason.status_code, list(no_reason.data)[0], no_reason.data["code"]) == (400, "reason", "invalid")
    assert (bad_action.status_code, list(bad_action.data)[0], bad_action.data["code"]) == (400, "action", "invalid")
    assert accepted.data["status"] == "accepted"


def test_batch_resolve_is_all_or_nothing(as_user, specialist, found):
    ids = list(Discrepancy.objects.values_list("pk", flat=True))

    response = as_user(specialist).post(
        "/api/reconciliation/discrepancies/resolve-batch/", {"ids": ids, "action": "apply"}, format="json"
    )

    assert response.status_code == 409
    assert not Discrepancy.objects.filter(status="fixed").exists()
    found["opp"].refresh_from_db()
    assert found["opp"].arr_basis == Decimal("400.00")


def test_unknown_ids_in_a_batch_are_a_400(as_user, specialist, found):
    response = as_user(specialist).post(
        "/api/reconciliation/discrepancies/resolve-batch/", {"ids": [999999], "action": "apply"}, format="json"
    )
    assert response.status_code == 400
    assert "ids" in response.data


def test_invoice_list_shows_the_fields_of_the_contract(as_user, billing):
    invoice = InvoiceFactory()
    [row] = as_user(billing).get("/api/invoices/").data["results"]
    assert row["id"] == invoice.pk
    assert set(row) >= {"id", "number", "account", "opportunity", "amount", "invoice_date"}


def test_a_specialist_sees_and_fixes_only_their_regions_billing_records(as_user, specialist, billing):
    from django.core.exceptions import ValidationError

    from tests.ordermgmt.factories import SpecialistFactory, region

    emea = AccountFactory(region=region("EMEA"))
    sub = SubscriptionFactory(account=emea, carr=Decimal("500.00"))
    opp = RenewalFactory(subscription=sub, region=region("EMEA"), arr_basis=Decimal("400.00"))
    invoice = InvoiceFactory(account=emea, opportunity=None, net_arr=None)
    services.reconciliation_run_execute(
        run_id=services.reconciliation_run_create(kind="renewals", as_of=date(2026, 11, 2), enqueue=False).pk
    )
    discrepancy = Discrepancy.objects.get(kind="arr_basis_mismatch")
    amer = as_user(specialist)

    assert amer.get("/api/subscriptions/").data["results"] == []
    assert amer.get(f"/api/subscriptions/{sub.pk}/").status_code == 404
    assert amer.get(f"/api/invoices/{invoice.pk}/").status_code == 404
    assert amer.get("/api/reconciliation/discrepancies/").data["results"] == []
    resolve = f"/api/reconciliation/discrepancies/{discrepancy.pk}/resolve/"
    assert amer.post(resolve, {"action": "apply"}, format="json").status_code == 404
    batch = {"ids": [discrepancy.pk], "action": "apply"}
    assert amer.post("/api/reconciliation/discrepancies/resolve-batch/", batch, format="json").status_code == 400
    with pytest.raises(ValidationError):
        services.discrepancy_apply(discrepancy_ids=[discrepancy.pk], actor=specialist)
    opp.refresh_from_db()
    assert opp.arr_basis == Decimal("400.00")

    assert as_user(billing).get(f"/api/subscriptions/{sub.pk}/").status_code == 200
    emea_specialist = as_user(SpecialistFactory(region=region("EMEA")))
    assert [d["id"] for d in emea_specialist.get("/api/reconciliation/discrepancies/").data["results"]] == [
        discrepancy.pk
    ]
    assert emea_specialist.post(resolve, {"action": "apply"}, format="json").status_code == 200
    opp.refresh_from_db()
    assert opp.arr_basis == Decimal("500.00")
