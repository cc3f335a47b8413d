"""Writes of the webhooks app: endpoints (managers only), events and their deliveries, and the delivery itself.

A delivery row is written with the event, in the transaction of the change that caused it (through the foundation's
`integration_event` signal), published to Celery after commit, and sent with no transaction open. Each attempt is
claimed by a conditional UPDATE, so duplicate messages (after-commit publish, retry, sweeper, redelivery of a killed
worker's task) make one request at a time and never count an attempt twice. A failed attempt schedules the next one
with exponential backoff; `webhook_deliveries_sweep` (beat) publishes whatever is due and was not published.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import secrets
import socket
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from itertools import islice
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ordermgmt.exceptions import NotVisibleError, PermissionDeniedError
from ordermgmt.models import User
from ordermgmt.services.integration import EVENT_KINDS, integration_payload

from . import signing
from .models import TEST_EVENT_KIND, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

logger = logging.getLogger(__name__)

SEND_TASK = "webhooks.tasks.webhook_delivery_send"
# A retry further out than this is left to the sweeper rather than held by a worker as a countdown message: Redis
# redelivers a message unacknowledged for longer than its visibility timeout (1 hour), which would send it twice.
COUNTDOWN_MAX = timedelta(minutes=10)
# A claim older than this belongs to a worker that died mid-request (the task's hard limit is 90 s).
STALE_CLAIM = timedelta(minutes=5)
USER_AGENT = "OrderMgmt-Webhooks/1"


# --- endpoints -------------------------------------------------------------------------------------------------


def _require_manager(actor: User) -> None:
    if not actor.is_manager:
        raise PermissionDeniedError("Only managers manage webhooks.")


def _new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _clean(*, url: str | None = None, event_kinds: list[str] | None = None) -> None:
    errors = {}
    if url is not None and urlsplit(url).scheme not in ("http", "https"):
        errors["url"] = ["Use an http:// or https:// address."]
    if event_kinds is not None:
        unknown = sorted(set(event_kinds) - set(EVENT_KINDS))
        if unknown:
            errors["event_kinds"] = [f"Unknown event kinds: {', '.join(unknown)}."]
        elif not event_kinds:
            errors["event_kinds"] = ["Subscribe to at least one event kind."]
    if errors:
        raise ValidationError(errors)


def _endpoint_locked(endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update(no_key=True).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotVisibleError()
    return endpoint


@transaction.atomic
def webhook_endpoint_create(
    *, actor: User, url: str, event_kinds: list[str], description: str = "", is_active: bool = True
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint (managers). Returns it with its secret: the only time a person sees the secret."""
    _require_manager(actor)
    _clean(url=url, event_kinds=event_kinds)
    secret = _new_secret()
    endpoint = WebhookEndpoint.objects.create(
        url=url,
        description=description.strip(),
        secret=secret,
        event_kinds=sorted(set(event_kinds)),
        is_active=is_active,
        created_by=actor,
    )
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_update(*, actor: User, endpoint_id: int, **fields) -> WebhookEndpoint:
    """Change an endpoint's url, description, event kinds or active flag (managers). Deliveries already recorded
    keep going to it; a deactivated endpoint's pending deliveries wait until it is active again."""
    _require_manager(actor)
    allowed = {"url", "description", "event_kinds", "is_active"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"Not an editable field: {', '.join(sorted(unknown))}")
    _clean(url=fields.get("url"), event_kinds=fields.get("event_kinds"))
    endpoint = _endpoint_locked(endpoint_id)
    if "event_kinds" in fields:
        fields["event_kinds"] = sorted(set(fields["event_kinds"]))
    if "description" in fields:
        fields["description"] = fields["description"].strip()
    for name, value in fields.items():
        setattr(endpoint, name, value)
    endpoint.save(update_fields=[*fields, "updated_at"])
    if fields.get("is_active"):
        # Paused deliveries are due again now, not at their old time.
        WebhookDelivery.objects.filter(endpoint=endpoint, status=WebhookDelivery.Status.PENDING).update(
            next_attempt_at=timezone.now()
        )
    return endpoint


@transaction.atomic
def webhook_endpoint_rotate_secret(*, actor: User, endpoint_id: int) -> tuple[WebhookEndpoint, str]:
    """Replace an endpoint's secret at once (managers); returns the new one, shown this once."""
    _require_manager(actor)
    endpoint = _endpoint_locked(endpoint_id)
    endpoint.secret = _new_secret()
    endpoint.secret_rotated_at = timezone.now()
    endpoint.save(update_fields=["secret", "secret_rotated_at", "updated_at"])
    return endpoint, endpoint.secret


@transaction.atomic
def webhook_endpoint_delete(*, actor: User, endpoint_id: int) -> None:
    """Remove an endpoint with its delivery log (managers). To stop deliveries but keep the log, deactivate it."""
    _require_manager(actor)
    _endpoint_locked(endpoint_id).delete()


@transaction.atomic
def webhook_test_send(*, actor: User, endpoint_id: int) -> WebhookDelivery:
    """Send a `webhook.test` event to this one endpoint (managers), whatever it subscribes to."""
    _require_manager(actor)
    endpoint = _endpoint_locked(endpoint_id)
    [event] = webhook_events_record(
        kind=TEST_EVENT_KIND,
        items=[{"message": "A test event from Order Management.", "requested_by": actor.username}],
        occurred_at=timezone.now(),
        endpoints=[endpoint],
    )
    return event.deliveries.get()


@transaction.atomic
def webhook_delivery_redeliver(*, actor: User, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again now (managers): a failed one that gave up, or a delivered one a receiver lost. It
    carries the same event id, so a receiver that already has it recognises the repeat."""
    _require_manager(actor)
    delivery = WebhookDelivery.objects.select_for_update(no_key=True).filter(pk=delivery_id).first()
    if delivery is None:
        raise NotVisibleError()
    if delivery.status in (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.SENDING):
        return delivery  # already on its way
    delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.PENDING, timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    transaction.on_commit(partial(webhook_delivery_publish, delivery_id=delivery.pk))
    return delivery


# --- events ----------------------------------------------------------------------------------------------------


def webhook_events_record(
    *, kind: str, items: Iterable[dict], occurred_at: datetime, endpoints: list[WebhookEndpoint] | None = None
) -> list[WebhookEvent]:
    """Record one event per item and a pending delivery of each for every active endpoint subscribed to `kind` (or
    for `endpoints`), in the caller's transaction, two inserts per 1,000 events; each delivery is published after
    commit. Nobody subscribed: nothing is recorded and `items` is not read (one query)."""
    if endpoints is None:
        active = WebhookEndpoint.objects.filter(is_active=True).only("pk", "event_kinds")
        endpoints = [endpoint for endpoint in active if kind in endpoint.event_kinds]
    if not endpoints:
        return []
    events: list[WebhookEvent] = []
    items = iter(items)
    while chunk := list(islice(items, 1000)):  # bounded memory for a run that finds thousands
        batch = WebhookEvent.objects.bulk_create(
            [WebhookEvent(kind=kind, data=integration_payload(data), occurred_at=occurred_at) for data in chunk]
        )
        deliveries = WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(event=event, endpoint=endpoint, next_attempt_at=occurred_at)
                for event in batch
                for endpoint in endpoints
            ],
            batch_size=1000,
        )
        for delivery in deliveries:
            transaction.on_commit(partial(webhook_delivery_publish, delivery_id=delivery.pk))
        events.extend(batch)
    return events


# --- delivery --------------------------------------------------------------------------------------------------


def retry_delay(attempt: int) -> timedelta:
    """How long after failed attempt number `attempt` (1-based) the next one is due: WEBHOOK_RETRY_BASE_SECONDS
    doubled each time, at most WEBHOOK_RETRY_MAX_SECONDS."""
    seconds = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0)
    return timedelta(seconds=min(seconds, settings.WEBHOOK_RETRY_MAX_SECONDS))


def webhook_delivery_publish(*, delivery_id: int, countdown: float | None = None) -> bool:
    """Queue the send task; if the broker refuses, the row stays pending and the sweeper publishes it later."""
    from ordermgmt.celery import app

    try:
        app.send_task(SEND_TASK, kwargs={"delivery_id": delivery_id}, countdown=countdown, retry=False)
    except Exception as exc:  # the broker is down: nothing lost, the row is still pending
        logger.warning("webhooks: could not publish delivery %s (%s); the sweeper will", delivery_id, exc)
        return False
    return True


def event_body(event: WebhookEvent) -> bytes:
    """The request body: the same bytes for every attempt of every delivery of the event."""
    envelope = {
        "id": str(event.id),
        "type": event.kind,
        "created_at": event.occurred_at.isoformat(),
        "data": event.data,
    }
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()


def _address_refusal(url: str) -> str:
    """Why the worker may not call `url` (an address inside our network), or "" when it may."""
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return ""
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError as exc:
        return f"cannot resolve {host}: {exc}"
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            return f"{host} resolves to a non-public address ({address}); refused"
    return ""


@functools.cache
def _http_client() -> httpx.Client:
    """One client per worker process: its TLS context and keep-alive connections are reused across deliveries
    (building a TLS context costs more than a local request). Redirects are not followed, proxies not read."""
    return httpx.Client(follow_redirects=False, trust_env=False)


def _post(endpoint: WebhookEndpoint, event: WebhookEvent, attempt: int) -> tuple[int | None, str]:
    """One signed POST; (status code or None, error text)."""
    refusal = _address_refusal(endpoint.url)
    if refusal:
        return None, refusal
    body = event_body(event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.EVENT_ID_HEADER: str(event.id),
        signing.EVENT_TYPE_HEADER: event.kind,
        signing.ATTEMPT_HEADER: str(attempt),
        signing.SIGNATURE_HEADER: signing.signature_header(
            secret=endpoint.secret, timestamp=int(time.time()), body=body
        ),
    }
    timeout = httpx.Timeout(settings.WEBHOOK_TIMEOUT_SECONDS, connect=settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS)
    try:
        response = _http_client().post(endpoint.url, content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"HTTP {response.status_code}: {response.text[:200]}"


def webhook_delivery_send(*, delivery_id: int, now: datetime | None = None) -> str:
    """Make the next attempt of a due delivery and log it; returns "delivered", "retry", "failed" or "skipped".

    Idempotent: the conditional claim lets one message through per due attempt; others (duplicates, early
    messages, a delivered row) are "skipped". No transaction is open during the request. `now`: for tests.
    """
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now, endpoint__is_active=True
    )
    if not due.update(status=WebhookDelivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1):
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    started = time.monotonic()
    status_code, error = _post(delivery.endpoint, delivery.event, delivery.attempts)
    duration_ms = round((time.monotonic() - started) * 1000)
    return webhook_attempt_record(
        delivery=delivery, started_at=now, duration_ms=duration_ms, status_code=status_code, error=error
    )


@transaction.atomic
def webhook_attempt_record(
    *, delivery: WebhookDelivery, started_at: datetime, duration_ms: int, status_code: int | None, error: str
) -> str:
    """Log one attempt and move the delivery on: delivered, due again after the backoff, or given up."""
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        started_at=started_at,
        duration_ms=duration_ms,
        status_code=status_code,
        error=error,
    )
    fields = {"last_status_code": status_code, "last_error": error, "claimed_at": None}
    if not error:
        outcome, fields["status"], fields["delivered_at"] = "delivered", WebhookDelivery.Status.DELIVERED, started_at
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        outcome, fields["status"] = "failed", WebhookDelivery.Status.FAILED
        logger.warning("webhooks: delivery %s gave up after %s attempts: %s", delivery.pk, delivery.attempts, error)
    else:
        delay = retry_delay(delivery.attempts)
        outcome, fields["status"] = "retry", WebhookDelivery.Status.PENDING
        fields["next_attempt_at"] = started_at + delay
        if delay <= COUNTDOWN_MAX:
            countdown = delay.total_seconds()
            transaction.on_commit(partial(webhook_delivery_publish, delivery_id=delivery.pk, countdown=countdown))
    # Only our own claim is moved on (a sweeper may have reset a claim it took for dead).
    WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookDelivery.Status.SENDING).update(**fields)
    return outcome


@transaction.atomic
def webhook_stale_claims_release(*, now: datetime) -> int:
    """Deliveries claimed longer ago than any attempt can last belong to a worker that died mid-request: log the
    attempt as lost and make them due again. Rows another sweeper holds are skipped."""
    stale = list(
        WebhookDelivery.objects.select_for_update(skip_locked=True)
        .filter(status=WebhookDelivery.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
        .values_list("pk", "attempts", "claimed_at")
    )
    if not stale:
        return 0
    error = "No answer recorded: the worker was lost during the attempt."
    WebhookAttempt.objects.bulk_create(
        [
            WebhookAttempt(delivery_id=pk, number=attempts, started_at=claimed_at, duration_ms=0, error=error)
            for pk, attempts, claimed_at in stale
        ]
    )
    WebhookDelivery.objects.filter(pk__in=[pk for pk, _, _ in stale]).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=now, claimed_at=None, last_error=error
    )
    return len(stale)


def webhook_deliveries_sweep(*, now: datetime | None = None, grace_seconds: int = 30, limit: int = 500) -> int:
    """Publish due deliveries that no message is carrying (broker down at commit, a lost countdown, a worker killed
    mid-request); returns how many were published. Safe to run often and twice at once: the send claims."""
    now = now or timezone.now()
    webhook_stale_claims_release(now=now)
    # Give the after-commit publish and the countdown messages their chance first.
    ids = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=now - timedelta(seconds=grace_seconds),
            endpoint__is_active=True,
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for delivery_id in ids if webhook_delivery_publish(delivery_id=delivery_id))
