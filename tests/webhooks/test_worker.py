"""End to end through a real Celery worker on real Redis, to a real local receiver that is down at first."""

import threading
import time

import pytest
from django.db import transaction

from ordermgmt.services.integration import integration_event_emit
from tests.celery_support import Worker, flush_broker
from tests.ordermgmt.factories import ManagerFactory
from tests.webhooks.receiver import Receiver, free_port
from webhooks import services, signing
from webhooks.models import WebhookAttempt, WebhookDelivery


def _wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not reached within {timeout}s")


@pytest.mark.django_db(transaction=True)
def test_an_event_reaches_a_receiver_that_comes_up_late_through_the_worker_retries(monkeypatch):
    # given: a worker whose backoff starts at 1 s, and an endpoint whose receiver is down
    monkeypatch.setenv("WEBHOOK_RETRY_BASE_SECONDS", "1")
    flush_broker()
    worker = Worker(name="webhooks")
    port = free_port()
    try:
        endpoint, secret = services.webhook_endpoint_create(
            actor=ManagerFactory(), url=f"http://127.0.0.1:{port}/hooks", event_kinds=["case.opened"]
        )

        # when: a service emits inside its transaction; the delivery is published after commit
        started = time.monotonic()
        with transaction.atomic():
            integration_event_emit(kind="case.opened", data={"case": {"id": 1, "number": "CASE-0001"}})
        delivery = WebhookDelivery.objects.get()
        _wait_for(lambda: WebhookAttempt.objects.filter(delivery=delivery).count() >= 2)  # 1 s, then 2 s later

        # then: the receiver comes up, and the next retry gets through
        with Receiver(port=port) as receiver:
            _wait_for(lambda: WebhookDelivery.objects.get(pk=delivery.pk).status == "delivered")
            elapsed = time.monotonic() - started
            time.sleep(1)  # nothing more arrives after the delivery
    finally:
        worker.stop()

    [request] = receiver.requests
    assert request.headers[signing.EVENT_ID_HEADER] == str(delivery.event_id)
    assert signing.verify(secret=secret, header=request.headers[signing.SIGNATURE_HEADER], body=request.body)
    log = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number").values_list("status_code", "error"))
    assert all(code is None and "ConnectError" in error for code, error in log[:-1])
    assert log[-1] == (200, "")
    delivery.refresh_from_db()
    assert delivery.attempts == len(log) >= 3
    print(f"delivered on attempt {delivery.attempts} after {elapsed:.1f}s")  # noqa: T201


def _point_app_at(app, url):
    """Re-point the Celery app's connection and producer pools at another broker URL (as tests/ordermgmt/test_tasks)."""
    from kombu import pools

    app.pool.force_close_all()
    pools.reset()
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_nothing_is_lost_when_the_broker_is_down_at_commit_or_the_worker_dies_mid_request(settings):
    from datetime import timedelta

    from django.db.models import F

    from ordermgmt.celery import app

    flush_broker()
    hold = threading.Event()
    with Receiver(hold=hold) as receiver:
        endpoint, secret = services.webhook_endpoint_create(
            actor=ManagerFactory(), url=receiver.url, event_kinds=["case.opened"]
        )

        # given: Redis is unreachable when the change commits
        original = settings.CELERY_BROKER_URL
        _point_app_at(app, "redis://127.0.0.1:1/0")
        try:
            with transaction.atomic():
                integration_event_emit(kind="case.opened", data={"case": {"id": 2, "number": "CASE-0002"}})
        finally:
            _point_app_at(app, original)
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == "pending"  # the row waits: the change committed, the publish did not happen

        # when: the broker is back and the sweeper runs, a worker takes it; the receiver hangs and the worker is killed
        worker = Worker(name="webhooks-killed")
        try:
            assert services.webhook_deliveries_sweep(grace_seconds=0) == 1
            _wait_for(lambda: len(receiver.requests) == 1)
            assert WebhookDelivery.objects.get(pk=delivery.pk).status == "sending"
        finally:
            worker.kill()
        hold.set()

        # then: once the claim is older than any attempt can last, the sweeper logs the lost attempt and sends again
        WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_at=F("claimed_at") - timedelta(minutes=6))
        worker = Worker(name="webhooks-second")
        try:
            assert services.webhook_deliveries_sweep(grace_seconds=0) == 1
            _wait_for(lambda: WebhookDelivery.objects.get(pk=delivery.pk).status == "delivered")
        finally:
            worker.stop()

    first, second = receiver.requests
    assert first.headers[signing.EVENT_ID_HEADER] == second.headers[signing.EVENT_ID_HEADER] == str(delivery.event_id)
    assert first.body == second.body
    assert signing.verify(secret=secret, header=second.headers[signing.SIGNATURE_HEADER], body=second.body)
    log = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number").values_list("number", "status_code"))
    assert log == [(1, None), (2, 200)]
    assert "worker was lost" in WebhookAttempt.objects.get(delivery=delivery, number=1).error
