"""Case API shapes: one output serializer (plus a detail variant) and one small input serializer per action."""

from django.utils import timezone
from rest_framework import serializers

from ordermgmt.models import User

from .. import sla
from ..models import Case, CaseAttachment, CaseComment, CaseEvent

OPEN_KEYS = {"team", "request_type", "subject", "details", "confirm_duplicate", "related_to", "opportunity", "fields"}


class CaseOutputSerializer(serializers.ModelSerializer):
    team = serializers.CharField(source="team.code", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True)
    request_type = serializers.CharField(source="request_type.code", read_only=True)
    request_type_name = serializers.CharField(source="request_type.name", read_only=True)
    opportunity_name = serializers.CharField(source="opportunity.name", read_only=True)
    owner_name = serializers.SerializerMethodField()
    possible_duplicate_number = serializers.CharField(
        source="possible_duplicate_of.number", default=None, allow_null=True
    )
    sla = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "opportunity",
            "opportunity_name",
            "team",
            "team_name",
            "request_type",
            "request_type_name",
            "subject",
            "details",
            "field_values",
            "status",
            "owner",
            "owner_name",
            "requester",
            "region",
            "created_at",
            "first_response_at",
            "first_response_business_hours",
            "first_response_due_at",
            "resolution_due_at",
            "paused_business_hours",
            "closed_at",
            "resolution_business_hours",
            "possible_duplicate_of",
            "possible_duplicate_number",
            "sla",
        ]
        read_only_fields = fields

    def get_owner_name(self, case) -> str | None:
        return str(case.owner) if case.owner_id else None

    def get_sla(self, case) -> dict:
        status = sla.sla_status(case, timezone.now())
        return {
            "clock": status.clock,
            "due_at": status.due_at,
            "target_business_hours": status.target_hours,
            "business_hours_remaining": status.remaining_hours,
            "state": status.state,
        }


class CaseCommentSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.__str__", read_only=True)

    class Meta:
        model = CaseComment
        fields = [
            "id",
            "author",
            "author_name",
            "body",
            "internal",
            "created_at",
            "mentions_notified",
            "mentions_ignored",
        ]
        read_only_fields = fields


class CaseEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseEvent
        fields = ["at", "actor", "action", "from_status", "to_status", "data"]
        read_only_fields = fields


class CaseAttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseAttachment
        fields = ["id", "original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
        read_only_fields = fields


class CaseDetailOutputSerializer(CaseOutputSerializer):
    """The case with its conversation (internal notes filtered by the view), audit trail, files and links."""

    comments = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    related_cases = serializers.SerializerMethodField()

    class Meta(CaseOutputSerializer.Meta):
        fields = [*CaseOutputSerializer.Meta.fields, "comments", "events", "attachments", "related_cases"]
        read_only_fields = fields

    def get_comments(self, case) -> list[dict]:
        return CaseCommentSerializer(self.context["comments"], many=True).data

    def get_events(self, case) -> list[dict]:
        return CaseEventSerializer(self.context["events"], many=True).data

    def get_attachments(self, case) -> list[dict]:
        return CaseAttachmentSerializer(self.context["attachments"], many=True).data

    def get_related_cases(self, case) -> list[dict]:
        return [{"id": c.pk, "number": c.number, "status": c.status} for c in case.related_cases.all()]


class CaseOpenInputSerializer(serializers.Serializer):
    """Open a case. The request type's own fields go in `fields` or at the top level of the body."""

    team = serializers.CharField(max_length=40)
    request_type = serializers.CharField(max_length=60)
    subject = serializers.CharField(max_length=200)
    details = serializers.CharField(max_length=10000)
    confirm_duplicate = serializers.BooleanField(default=False)
    related_to = serializers.IntegerField(required=False, min_value=1)
    fields = serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=5000), required=False)


class CaseCreateInputSerializer(CaseOpenInputSerializer):
    opportunity = serializers.IntegerField(min_value=1)


class CaseCommentInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10000)
    internal = serializers.BooleanField(default=False)


class CaseStatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Case.Status.choices)
    note = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class CaseNoteInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class CaseAssignInputSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))


class CaseAttachmentInputSerializer(serializers.Serializer):
    file = serializers.FileField()


def type_field_values(data) -> dict:
    """The request type's own fields from a request body: the `fields` object plus any extra top-level keys."""
    values = {k: v for k, v in data.items() if k not in OPEN_KEYS and isinstance(v, str | int | float)}
    nested = data.get("fields")
    if isinstance(nested, dict):
        values.update(nested)
    return values
