"""Reads of the webhooks app (managers only: the views and viewsets check the role)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list() -> QuerySet[WebhookEndpoint]:
    """Every endpoint with its delivery counts, by URL."""
    return (
        WebhookEndpoint.objects.select_related("created_by")
        .annotate(
            pending_count=Count("deliveries", filter=Q(deliveries__status__in=["pending", "sending"])),
            failed_count=Count("deliveries", filter=Q(deliveries__status="failed")),
        )
        .order_by("url", "pk")
    )


def webhook_delivery_list(*, endpoint: WebhookEndpoint | None = None) -> QuerySet[WebhookDelivery]:
    """Deliveries (of one endpoint, or all), newest first, with their events."""
    deliveries = WebhookDelivery.objects.select_related("event").order_by("-created_at", "-pk")
    return deliveries if endpoint is None else deliveries.filter(endpoint=endpoint)


def webhook_attempt_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookAttempt]:
    """The delivery log of an endpoint: every attempt, newest first, with its delivery and event."""
    return (
        WebhookAttempt.objects.filter(delivery__endpoint=endpoint)
        .select_related("delivery__event")
        .order_by("-started_at", "-pk")
    )
