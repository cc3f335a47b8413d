"""Reconciliation review pages: runs with progress, discrepancy list, fix preview, apply/accept/undo, batch."""

from datetime import date
from decimal import Decimal

import pytest

from subscriptions import services
from subscriptions.models import Discrepancy, ReconciliationRun

from .factories import RenewalFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def found():
    sub = SubscriptionFactory(carr=Decimal("500.00"))
    opp = RenewalFactory(subscription=sub, arr_basis=Decimal("400.00"))
    start_sub = SubscriptionFactory()
    RenewalFactory(subscription=start_sub, start_date=date(2027, 1, 1))
    run = services.reconciliation_run_create(kind="renewals", as_of=date(2026, 11, 2), enqueue=False)
    services.reconciliation_run_execute(run_id=run.pk)
    return {"run": run, "opp": opp}


def test_runs_page_polls_the_progress_of_an_active_run(client, specialist):
    running = ReconciliationRun.objects.create(kind="renewals", as_of=date(2026, 11, 2), status="running", progress=40)
    client.force_login(specialist)

    page = client.get("/reconciliation/")
    fragment = client.get(f"/reconciliation/runs/{running.pk}/progress/")

    assert page.status_code == 200
    assert f'hx-get="/reconciliation/runs/{running.pk}/progress/"' in page.content.decode()
    assert '<progress class="run-progress run-progress-running" max="100" value="40"' in fragment.content.decode()
    assert "style=" not in page.content.decode()
    assert "Reconciliation" in page.content.decode()  # nav link


def test_run_page_survives_a_reload_and_polls_while_active(client, specialist):
    running = ReconciliationRun.objects.create(kind="renewals", as_of=date(2026, 11, 2), status="running", progress=5)
    client.force_login(specialist)

    body = client.get(f"/reconciliation/runs/{running.pk}/").content.decode()

    assert f'hx-get="/reconciliation/runs/{running.pk}/progress/"' in body
    assert 'value="5"' in body
    assert "style=" not in body


def test_a_finished_run_stops_polling(client, specialist, found):
    client.force_login(specialist)
    fragment = client.get(f"/reconciliation/runs/{found['run'].pk}/progress/").content.decode()
    assert "hx-trigger" not in fragment
    assert "100%" in fragment


def test_start_a_run_from_the_page_and_refuse_a_second(client, manager):
    client.force_login(manager)

    client.post("/reconciliation/runs/start/", {"kind": "bookings", "month": "2026-10"})
    response = client.post("/reconciliation/runs/start/", {"kind": "bookings"}, follow=True)

    assert ReconciliationRun.objects.get().period == "2026-10"
    assert "already queued" in response.content.decode()


def test_discrepancy_list_filters_and_previews_fixes(client, specialist, found):
    client.force_login(specialist)

    response = client.get("/reconciliation/discrepancies/", {"kind": "arr_basis_mismatch", "status": "open"})

    body = response.content.decode()
    assert f"Set arr_basis of opportunity #{found['opp'].pk}: 400.00 -&gt; 500.00." in body
    assert "Set start_date" not in body


def test_apply_and_undo_from_the_detail_page(client, specialist, found):
    client.force_login(specialist)
    discrepancy = Discrepancy.objects.get(kind="arr_basis_mismatch")

    page = client.get(f"/reconciliation/discrepancies/{discrepancy.pk}/").content.decode()
    client.post(f"/reconciliation/discrepancies/{discrepancy.pk}/apply/")
    found["opp"].refresh_from_db()
    assert found["opp"].arr_basis == Decimal("500.00")
    client.post(f"/reconciliation/discrepancies/{discrepancy.pk}/undo/", {"reason": "oops"})

    found["opp"].refresh_from_db()
    assert "Apply fix" in page
    assert found["opp"].arr_basis == Decimal("400.00")
    assert list(discrepancy.events.values_list("action", flat=True)) == ["applied", "undone"]


def test_accept_needs_a_reason_on_the_page(client, specialist, found):
    client.force_login(specialist)
    discrepancy = Discrepancy.objects.get(kind="arr_basis_mismatch")

    client.post(f"/reconciliation/discrepancies/{discrepancy.pk}/accept/", {"reason": ""})
    discrepancy.refresh_from_db()
    assert discrepancy.status == "open"
    client.post(f"/reconciliation/discrepancies/{discrepancy.pk}/accept/", {"reason": "Known"})
    discrepancy.refresh_from_db()
    assert discrepancy.status == "accepted"


def test_batch_apply_from_the_list(client, manager, found):
    client.force_login(manager)
    ids = list(Discrepancy.objects.values_list("pk", flat=True))

    client.post("/reconciliation/discrepancies/batch/", {"ids": ids, "action": "apply"})

    assert Discrepancy.objects.filter(status="fixed").count() == 2


@pytest.mark.parametrize("role_fixture", ["rep", "billing"])
def test_reps_are_refused_and_billing_cannot_apply(client, request, role_fixture, found):
    user = request.getfixturevalue(role_fixture)
    client.force_login(user)
    discrepancy = Discrepancy.objects.first()

    listing = client.get("/reconciliation/discrepancies/")
    apply = client.post(f"/reconciliation/discrepancies/{discrepancy.pk}/apply/")

    assert listing.status_code == (403 if role_fixture == "rep" else 200)
    assert apply.status_code == 403
    discrepancy.refresh_from_db()
    assert discrepancy.status == "open"
