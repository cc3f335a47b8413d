"""Delivery against a real local receiver (http.server in a thread): signature, retries with backoff, stable event
ids. The send is called directly here (unit level); test_worker.py runs it through a real Celery worker."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from ordermgmt.services.integration import integration_event_emit
from tests.ordermgmt.factories import ManagerFactory
from tests.webhooks.receiver import Receiver, free_port
from webhooks import services, signing
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent

pytestmark = pytest.mark.django_db


def _endpoint(url, kinds=("case.opened",)):
    endpoint, secret = services.webhook_endpoint_create(actor=ManagerFactory(), url=url, event_kinds=list(kinds))
    return endpoint, secret


def _emit(django_capture_on_commit_callbacks, kind="case.opened", data=None):
    """Emit in a transaction, as a service does; the after-commit publish is captured, not run (no worker here)."""
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        integration_event_emit(kind=kind, data=data or {"case": {"id": 7, "number": "CASE-0007"}})
    return callbacks


def test_the_receiver_gets_a_signed_body_that_verifies_with_the_endpoint_secret(django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        # given
        endpoint, secret = _endpoint(receiver.url)
        _emit(django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get()

        # when
        outcome = services.webhook_delivery_send(delivery_id=delivery.pk)

    # then
    assert outcome == "delivered"
    [request] = receiver.requests
    assert request.path == "/hooks/order-management"
    assert signing.verify(secret=secret, header=request.headers[signing.SIGNATURE_HEADER], body=request.body)
    assert not signing.verify(secret="whsec_wrong", header=request.headers[signing.SIGNATURE_HEADER], body=request.body)
    assert not signing.verify(
        secret=secret, header=request.headers[signing.SIGNATURE_HEADER], body=request.body + b" "
    )  # a changed body fails
    event = WebhookEvent.objects.get()
    body = json.loads(request.body)
    assert body == {
        "id": str(event.id),
        "type": "case.opened",
        "created_at": event.occurred_at.isoformat(),
        "data": {"case": {"id": 7, "number": "CASE-0007"}},
    }
    assert request.headers[signing.EVENT_ID_HEADER] == str(event.id)
    assert request.headers[signing.EVENT_TYPE_HEADER] == "case.opened"
    assert request.headers["Content-Type"] == "application/json"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    [attempt] = WebhookAttempt.objects.all()
    assert (attempt.number, attempt.status_code, attempt.error) == (1, 200, "")
    assert attempt.duration_ms < 5000


def test_a_signature_older_than_the_tolerance_is_refused():
    body = b'{"id":"x"}'
    header = signing.signature_header(secret="s", timestamp=1_000_000, body=body)
    assert signing.verify(secret="s", header=header, body=body, now=1_000_000 + 299)
    assert not signing.verify(secret="s", header=header, body=body, now=1_000_000 + 301)
    assert not signing.verify(secret="s", header="t=abc,v1=00", body=body)
    assert not signing.verify(secret="s", header="", body=body)


def test_a_receiver_that_is_down_gets_retries_with_backoff_and_then_the_event(django_capture_on_commit_callbacks):
    # given: an endpoint whose receiver is not listening yet
    port = free_port()
    endpoint, secret = _endpoint(f"http://127.0.0.1:{port}/hooks/order-management")
    _emit(django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    start = timezone.now()

    # when: the first attempt finds nobody
    with django_capture_on_commit_callbacks() as retries:
        assert services.webhook_delivery_send(delivery_id=delivery.pk, now=start) == "retry"

    # then: logged, and due again after the first backoff step (30 s), with a countdown message queued after commit
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.next_attempt_at == start + timedelta(seconds=30)
    assert "ConnectError" in delivery.last_error
    assert len(retries) == 1
    [failed] = WebhookAttempt.objects.all()
    assert failed.status_code is None
    assert "ConnectError" in failed.error
    # a message arriving early (a duplicate, the sweeper) does nothing
    assert services.webhook_delivery_send(delivery_id=delivery.pk, now=start + timedelta(seconds=29)) == "skipped"

    # when: the second attempt fails too, the wait doubles
    assert services.webhook_delivery_send(delivery_id=delivery.pk, now=start + timedelta(seconds=30)) == "retry"
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == start + timedelta(seconds=30 + 60)

    # when: the receiver comes up on its port, the next due attempt delivers
    with Receiver(port=port) as receiver:
        outcome = services.webhook_delivery_send(delivery_id=delivery.pk, now=start + timedelta(seconds=90))

    # then: delivered once, nothing lost, every attempt in the log
    assert outcome == "delivered"
    [request] = receiver.requests
    assert request.headers[signing.EVENT_ID_HEADER] == str(delivery.event_id)
    assert request.headers[signing.ATTEMPT_HEADER] == "3"
    assert signing.verify(secret=secret, header=request.headers[signing.SIGNATURE_HEADER], body=request.body)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    log = list(WebhookAttempt.objects.order_by("number").values_list("number", "status_code"))
    assert log == [(1, None), (2, None), (3, 200)]
    assert services.webhook_delivery_send(delivery_id=delivery.pk, now=start + timedelta(hours=1)) == "skipped"


def test_a_redelivery_carries_the_same_event_id_and_body(django_capture_on_commit_callbacks):
    with Receiver(statuses=(503, 200)) as receiver:
        # given: a receiver that answers 503 once
        endpoint, secret = _endpoint(receiver.url)
        _emit(django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get()
        now = timezone.now()

        # when
        first = services.webhook_delivery_send(delivery_id=delivery.pk, now=now)
        second = services.webhook_delivery_send(delivery_id=delivery.pk, now=now + timedelta(seconds=30))

    # then: two requests, one event: same id, same bytes; each freshly signed
    assert (first, second) == ("retry", "delivered")
    one, two = receiver.requests
    assert one.headers[signing.EVENT_ID_HEADER] == two.headers[signing.EVENT_ID_HEADER] == str(delivery.event_id)
    assert one.body == two.body
    assert (one.headers[signing.ATTEMPT_HEADER], two.headers[signing.ATTEMPT_HEADER]) == ("1", "2")
    for request in (one, two):
        assert signing.verify(secret=secret, header=request.headers[signing.SIGNATURE_HEADER], body=request.body)
    assert list(WebhookAttempt.objects.order_by("number").values_list("status_code", flat=True)) == [503, 200]
    assert WebhookAttempt.objects.get(number=1).error.startswith("HTTP 503")


def test_a_manual_redelivery_of_a_delivered_event_keeps_its_id(django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        endpoint, _ = _endpoint(receiver.url)
        _emit(django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get()
        services.webhook_delivery_send(delivery_id=delivery.pk)
        with django_capture_on_commit_callbacks() as published:
            services.webhook_delivery_redeliver(actor=ManagerFactory(), delivery_id=delivery.pk)
        assert len(published) == 1
        assert services.webhook_delivery_send(delivery_id=delivery.pk) == "delivered"

    assert len({r.headers[signing.EVENT_ID_HEADER] for r in receiver.requests}) == 1
    assert len(receiver.requests) == 2


def test_backoff_doubles_from_the_base_up_to_the_cap(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.WEBHOOK_RETRY_MAX_SECONDS = 4 * 3600
    delays = [services.retry_delay(n).total_seconds() for n in range(1, 12)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 14400, 14400]


def test_it_gives_up_after_the_last_attempt(settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    with Receiver(statuses=(500,)) as receiver:
        endpoint, _ = _endpoint(receiver.url)
        _emit(django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get()
        now = timezone.now()
        assert services.webhook_delivery_send(delivery_id=delivery.pk, now=now) == "retry"
        with django_capture_on_commit_callbacks() as published:
            assert services.webhook_delivery_send(delivery_id=delivery.pk, now=now + timedelta(minutes=1)) == "failed"
    assert not published  # no further retry queued
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 2, 500)
    assert len(receiver.requests) == 2


def test_a_private_address_is_refused_unless_allowed(settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with Receiver() as receiver:
        endpoint, _ = _endpoint(receiver.url)
        _emit(django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get()
        assert services.webhook_delivery_send(delivery_id=delivery.pk) == "retry"
    assert not receiver.requests
    assert "non-public address" in WebhookAttempt.objects.get().error


def test_the_sweeper_publishes_due_rows_after_the_grace_and_frees_stale_claims(
    django_capture_on_commit_callbacks, monkeypatch
):
    published = []
    monkeypatch.setattr(
        services, "webhook_delivery_publish", lambda *, delivery_id, countdown=None: published.append(delivery_id) or 1
    )
    endpoint, _ = _endpoint("http://127.0.0.1:9/hooks")
    with time_machine.travel("2026-12-01 10:00:00Z", tick=False):
        _emit(django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()

    with time_machine.travel("2026-12-01 10:00:20Z", tick=False):
        assert services.webhook_deliveries_sweep() == 0  # still within the after-commit publish's grace
    with time_machine.travel("2026-12-01 10:00:31Z", tick=False):
        assert services.webhook_deliveries_sweep() == 1
    assert published == [delivery.pk]

    # a worker died mid-request: its claim is freed after 5 minutes and the row is published again
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="sending", claimed_at=delivery.next_attempt_at)
    with time_machine.travel("2026-12-01 10:04:00Z", tick=False):
        assert services.webhook_deliveries_sweep() == 0
    with time_machine.travel("2026-12-01 10:05:01Z", tick=False):
        services.webhook_deliveries_sweep()
        assert services.webhook_deliveries_sweep(grace_seconds=0) == 1
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert "worker was lost" in WebhookAttempt.objects.get().error  # the lost attempt is in the log

    # a deactivated endpoint's deliveries wait
    services.webhook_endpoint_update(actor=ManagerFactory(), endpoint_id=endpoint.pk, is_active=False)
    published.clear()
    with time_machine.travel("2026-12-01 11:00:00Z", tick=False):
        assert services.webhook_deliveries_sweep() == 0


def test_the_readme_example_verifies_a_real_delivery(django_capture_on_commit_callbacks):
    """The 5-line receiver check in README ("Webhooks") is run as written against a request we really sent."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    snippet = re.search(r"## Webhooks.*?```python\n(.*?)```", readme, re.S).group(1)
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 - our own README

    with Receiver() as receiver:
        endpoint, secret = _endpoint(receiver.url)
        _emit(django_capture_on_commit_callbacks)
        services.webhook_delivery_send(delivery_id=WebhookDelivery.objects.get().pk)

    [request] = receiver.requests
    header = request.headers[signing.SIGNATURE_HEADER]
    assert namespace["verify"](secret, header, request.body)
    assert not namespace["verify"](secret, header, request.body.replace(b"case", b"CASE"))
    assert not namespace["verify"]("whsec_other", header, request.body)
