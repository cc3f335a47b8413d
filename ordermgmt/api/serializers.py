"""Serializers of the shared records. Input shape only: writes go through ordermgmt.services."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ordermgmt.models import Account, Contact, Document, Notification, OpportunityEvent, Quote, Region
from ordermgmt.services import QUOTE_FIELDS


@extend_schema_field(
    {"type": "string", "pattern": r"^\d{2}:\d{2}:\d{2}$", "example": "09:00:00", "description": "Local wall-clock time"}
)
class LocalTimeField(serializers.TimeField):
    """A time of day in the region's own time zone. OpenAPI's `format: time` demands an offset, which it has not."""


class RegionSerializer(serializers.ModelSerializer):
    support_start = LocalTimeField(read_only=True)
    support_end = LocalTimeField(read_only=True)
    cutoff = LocalTimeField(
        read_only=True, help_text="Submissions after this local time start their SLA clock the next business day."
    )

    class Meta:
        model = Region
        fields = [
            "code",
            "name",
            "timezone",
            "support_start",
            "support_end",
            "cutoff",
            "holiday_country",
            "holiday_subdivision",
        ]


class AccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["id", "name", "region", "country", "billing_address"]


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "account", "name", "email"]


class QuoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Quote
        fields = list(QUOTE_FIELDS)
        # Uniqueness of the number is checked by the service against the quote being edited.
        extra_kwargs = {"number": {"validators": []}}


class DocumentSerializer(serializers.ModelSerializer):
    file = serializers.FileField(write_only=True)
    url = serializers.SerializerMethodField()
    uploaded_by = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Document
        fields = ["id", "kind", "file", "original_name", "content_type", "size", "uploaded_by", "uploaded_at", "url"]
        read_only_fields = ["original_name", "content_type", "size", "uploaded_at"]

    def get_url(self, obj) -> str:
        return reverse("approvals:document", args=[obj.opportunity_id, obj.pk])


class HistoryEntrySerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    on_behalf_of = serializers.SerializerMethodField()

    class Meta:
        model = OpportunityEvent
        fields = ["at", "actor", "on_behalf_of", "action", "changes", "comment"]

    def get_actor(self, obj) -> str | None:
        return obj.actor.username if obj.actor else None

    def get_on_behalf_of(self, obj) -> str | None:
        return obj.on_behalf_of.username if obj.on_behalf_of else None


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "verb", "message", "opportunity", "url", "created_at", "read_at"]


class NotificationReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=500)
