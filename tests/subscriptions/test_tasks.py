"""The reconciliation job through a real Celery worker on real Redis (the worker sees committed rows only)."""

import time
from decimal import Decimal

import pytest

from subscriptions.models import Discrepancy, ReconciliationRun
from subscriptions.tasks import reconciliation_run_start

from .factories import RenewalFactory, SubscriptionFactory


@pytest.fixture(autouse=True)
def _broker_from_settings(settings):
    """Publish to the broker the worker listens on (another module's test re-points the app at a fixed URL)."""
    from kombu import pools

    from ordermgmt.celery import app

    if app.conf.broker_url != settings.CELERY_BROKER_URL:
        app.pool.force_close_all()
        pools.reset()
        app.conf.broker_url = settings.CELERY_BROKER_URL
        app._pool = None
        app.amqp._producer_pool = None


def wait_for(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


@pytest.mark.django_db(transaction=True)
def test_a_run_started_from_the_api_is_executed_by_a_real_worker(celery_worker, as_user, specialist):
    sub = SubscriptionFactory(carr=Decimal("700.00"))
    RenewalFactory(subscription=sub, arr_basis=Decimal("600.00"))

    # A fixed day: the worker is another process with the real clock, and the subscription ends on 2026-11-30.
    response = as_user(specialist).post(
        "/api/reconciliation/runs/", {"kind": "renewals", "as_of": "2026-11-01"}, format="json"
    )
    assert response.status_code == 202

    run_id = response.data["id"]
    wait_for(lambda: ReconciliationRun.objects.get(pk=run_id).status in ("done", "failed"))
    run = ReconciliationRun.objects.get(pk=run_id)
    assert run.status == "done", celery_worker.log()[-3000:]
    assert run.counts["arr_basis_mismatch"] == 1
    assert Discrepancy.objects.get().kind == "arr_basis_mismatch"
    assert "reconciliation_run_execute" in celery_worker.log()


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_queues_a_run_that_the_worker_executes(celery_worker):
    first = reconciliation_run_start.delay("bookings", month="2026-10").get(timeout=60)

    wait_for(lambda: ReconciliationRun.objects.get(pk=first).status == "done")
    run = ReconciliationRun.objects.get(pk=first)
    assert run.period == "2026-10"
    assert run.started_by is None  # started by the schedule
