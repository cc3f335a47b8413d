"""Serializers of the webhooks API: the endpoint (the secret only in the answers that make one), its deliveries."""

from __future__ import annotations

from rest_framework import serializers

from ordermgmt.services.integration import EVENT_KINDS

from ..models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

EVENT_KIND_CHOICES = sorted(EVENT_KINDS)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    event_kinds = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_KIND_CHOICES), allow_empty=False)
    secret_hint = serializers.CharField(read_only=True, help_text="The secret's last characters.")
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_kinds",
            "is_active",
            "secret_hint",
            "secret_rotated_at",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "secret_hint", "secret_rotated_at", "created_by", "created_at", "updated_at"]


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="The signing secret: shown in this answer only.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "started_at", "duration_ms", "status_code", "error"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.UUIDField(source="event.id", read_only=True)
    event_kind = serializers.CharField(source="event.kind", read_only=True)
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_kind",
            "status",
            "attempts",
            "next_attempt_at",
            "delivered_at",
            "last_status_code",
            "last_error",
            "created_at",
            "attempt_log",
        ]
        read_only_fields = fields
