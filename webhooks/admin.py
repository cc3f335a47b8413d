"""Read-only admin views of the webhook records: endpoints are managed on /webhooks/ (and their secrets never shown
again), deliveries and attempts are the log."""

from django.contrib import admin

from ordermgmt.admin import ReadOnlyAdmin

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["url", "is_active", "created_by", "created_at"]
    list_filter = ["is_active"]
    exclude = ["secret"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "occurred_at"]
    list_filter = ["kind"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event", "endpoint", "status", "attempts", "next_attempt_at", "last_status_code"]
    list_filter = ["status"]
    list_select_related = ["event", "endpoint"]


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(ReadOnlyAdmin):
    list_display = ["delivery", "number", "started_at", "status_code", "duration_ms", "error"]
    list_select_related = ["delivery__event", "delivery__endpoint"]
