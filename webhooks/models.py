"""Outbound webhooks: the endpoints managers register, the events they receive, and every delivery attempt."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from ordermgmt.models.base import TimeStampedModel

# The event a manager's "Send a test event" button sends; only ever to the one endpoint it was asked for.
TEST_EVENT_KIND = "webhook.test"


class WebhookEndpoint(TimeStampedModel):
    """A receiver URL that gets the event kinds it subscribes to, signed with its own secret.

    The secret is kept as it is (signing needs it; it is shown to a person once, when made or rotated).
    """

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=100)
    event_kinds = models.JSONField(default=list)  # a subset of ordermgmt.services.integration.EVENT_KINDS
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    secret_rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["url", "pk"]

    def __str__(self) -> str:
        return self.url

    @property
    def secret_hint(self) -> str:
        """The secret's last characters, to tell secrets apart without showing one."""
        return "…" + self.secret[-4:]


class WebhookEvent(models.Model):
    """Something that happened, as receivers get it. Its id is the `X-OrderMgmt-Event-Id` of every delivery and
    redelivery, so a receiver recognises a repeat. Recorded only when some endpoint subscribes to its kind."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=60)
    data = models.JSONField(default=dict)
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["-occurred_at", "pk"]
        indexes = [models.Index(fields=["-occurred_at"], name="webhook_event_time_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


class WebhookDelivery(models.Model):
    """One event for one endpoint: pending until the receiver answers 2xx, retried with backoff until then.

    The row is its own outbox: written with the event, published after commit, and published again by the sweeper
    while it stays pending past `next_attempt_at` (a lost publish, a broker outage, a killed worker).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up)"

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once")]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint_idx"),
            # The sweeper's scan: only the rows still to deliver.
            models.Index(
                fields=["next_attempt_at"], condition=Q(status__in=["pending", "sending"]), name="webhook_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery: what the receiver answered (or why there was no answer) and how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["delivery", "-started_at"], name="webhook_attempt_delivery_idx")]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
