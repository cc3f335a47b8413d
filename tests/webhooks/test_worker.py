"""End to end through a real Celery worker on real Redis, to a real local receiver that is down at first."""

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
