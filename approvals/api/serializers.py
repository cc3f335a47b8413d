"""The opportunity as the API shows it (with its booking requirements) and the workflow actions' input; the queue's
output is in `queue_serializers`."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from approvals import requirements
from approvals.models import Comment, Correction
from ordermgmt.api.serializers import QuoteSerializer
from ordermgmt.models import Opportunity, Region, User


class RequirementSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    met = serializers.BooleanField()
    field = serializers.CharField()


class OpportunitySerializer(serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    owner_name = serializers.CharField(source="owner.__str__", read_only=True)
    booked_arr = serializers.DecimalField(max_digits=15, decimal_places=2, read_only=True)
    booking_requirements = serializers.SerializerMethodField()
    primary_quote = QuoteSerializer(required=False, allow_null=True)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="Send the version you read: a stale one answers 409."
    )

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "name",
            "account",
            "account_name",
            "owner",
            "owner_name",
            "region",
            "type",
            "deployment",
            "route_to_market",
            "stage",
            "amount",
            "net_arr",
            "arr_basis",
            "booked_arr",
            "start_date",
            "end_date",
            "close_date",
            "closed_won_reason",
            "closed_won_details",
            "competitors",
            "executed_agreement_type",
            "executed_agreement_link",
            "po_required",
            "subscription",
            "license_delivery_date",
            "approval_status",
            "booking_requirements",
            "primary_quote",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["owner", "license_delivery_date", "approval_status", "created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        # Required of managers (checked in `validate`); a rep's opportunities are in the rep's region, which a rep
        # may send or leave out, but not change (400 naming the field, never a 201 that stored another region).
        fields["region"].required = False
        fields["region"].help_text = "Required of managers; a rep's opportunities are in the rep's own region."
        return fields

    @extend_schema_field(RequirementSerializer(many=True))
    def get_booking_requirements(self, obj: Opportunity):
        return [
            {"code": r.code, "label": r.label, "met": r.met, "field": r.field}
            for r in requirements.evaluate(requirements.Deal.of(obj))
        ]

    def validate_stage(self, value):
        if value in Opportunity.WORKFLOW_STAGES:
            raise serializers.ValidationError(f"Stage {value} is set by the approval workflow, not by editing.")
        return value

    def validate(self, attrs):
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        if start and end and end < start:
            raise serializers.ValidationError({"end_date": ["The end date cannot be before the start date."]})
        request = self.context.get("request")
        is_rep = getattr(request.user, "is_rep", False)
        if self.instance is None and "region" not in attrs and not is_rep:
            raise serializers.ValidationError({"region": ["This field is required."]})
        if is_rep and "region" in attrs and attrs["region"].pk != request.user.region_id:
            raise serializers.ValidationError(
                {"region": [f"Your opportunities are in your region ({request.user.region_id})."]}
            )
        quote = attrs.get("primary_quote")
        account = attrs.get("account", getattr(self.instance, "account", None))
        if quote:
            for name in ("sold_to_contact", "bill_to_contact"):
                contact = quote.get(name)
                if contact is not None and account is not None and contact.account_id != account.pk:
                    raise serializers.ValidationError(
                        {"primary_quote": {name: ["The contact must belong to the opportunity's account."]}}
                    )
        return attrs


class EmptySerializer(serializers.Serializer):
    pass


class CommentInputSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class ApproveInputSerializer(CommentInputSerializer):
    verified = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        max_length=200,
        help_text=(
            "Optional: checklist items (requirement codes, `document:<id>`) the approver verifies with this call; "
            "with the list, every item must then be verified. Without it, the approval verifies every item not yet "
            "ticked (recorded as `at_approval`). A failed item answers 409."
        ),
    )


class ChecklistItemSerializer(serializers.Serializer):
    """One item of the open submission's checklist and the reviewer's verdict on it."""

    item = serializers.CharField(read_only=True, help_text="A requirement code, or `document:<id>`.")
    label = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=["requirement", "document"], read_only=True)
    met = serializers.BooleanField(read_only=True, help_text="What the data says (the requirements engine).")
    verdict = serializers.ChoiceField(choices=["", "verified", "failed"], read_only=True)
    reason = serializers.SerializerMethodField(help_text="The rejection reason code of a failed item.")
    note = serializers.SerializerMethodField()
    by = serializers.SerializerMethodField(help_text="Who gave the verdict (user id).")
    at = serializers.SerializerMethodField()
    at_approval = serializers.SerializerMethodField(help_text="Verified by an approval that listed no items.")

    def get_reason(self, row) -> str:
        return row.verification.reason if row.verification else ""

    def get_note(self, row) -> str:
        return row.verification.note if row.verification else ""

    def get_by(self, row) -> int | None:
        return row.verification.actor_id if row.verification else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_at(self, row):
        return serializers.DateTimeField().to_representation(row.verification.at) if row.verification else None

    def get_at_approval(self, row) -> bool:
        return bool(row.verification and row.verification.at_approval)


class ChecklistMarkInputSerializer(serializers.Serializer):
    item = serializers.CharField(max_length=64, help_text="A requirement code, or `document:<id>`.")
    verdict = serializers.ChoiceField(choices=["verified", "failed", "clear"])
    reason = serializers.CharField(
        max_length=64,
        required=False,
        default="",
        help_text="For `failed`: a rejection reason code (default: the item's).",
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class CorrectionChangesSerializer(serializers.Serializer):
    """The corrected values (any of them; at least one)."""

    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    net_arr = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    close_date = serializers.DateField(required=False, help_text="A rebook's new close date.")


class CorrectionInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Correction.Kind.choices, default=Correction.Kind.FIELDS)
    reason = serializers.CharField(max_length=2000)
    changes = CorrectionChangesSerializer()


class CorrectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Correction
        fields = [
            "id", "opportunity", "region", "kind", "reason", "changes", "original", "state",
            "opened_by", "opened_at", "decided_by", "decided_at", "comment",
        ]  # fmt: skip
        read_only_fields = fields


class CorrectionDecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class BookNowInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the deal books before its date (recorded).")


class QuestionInputSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=10000, help_text="What the rep must answer before the decision.")


class AnswerInputSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=10000)
    attachment = serializers.FileField(
        required=False, source="upload", help_text="Optional file (send the request as multipart/form-data)."
    )


class ThreadMessageInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10000, help_text="@username mentions notify people who can see the deal.")
    attachment = serializers.FileField(
        required=False, source="upload", help_text="Optional file (send the request as multipart/form-data)."
    )


class ThreadMessageSerializer(serializers.ModelSerializer):
    """One message of an opportunity's thread: a comment, a reviewer's question or the rep's answer."""

    author_name = serializers.CharField(source="author.__str__", read_only=True)
    attachment_url = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = [
            "id",
            "kind",
            "body",
            "author",
            "author_name",
            "created_at",
            "mentions_notified",
            "attachment_name",
            "attachment_size",
            "attachment_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_attachment_url(self, obj) -> str | None:
        if not obj.attachment:
            return None
        path = reverse("api:opportunity-action-comment-attachment", args=[obj.opportunity_id, obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class EscalateInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    to_region = serializers.ChoiceField(choices=Region.Code.choices, required=False, allow_null=True)


class AssignInputSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))


class RejectInputSerializer(serializers.Serializer):
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=[]),
        min_length=1,
        max_length=30,
        help_text="Requirement codes (see /api/rejection-reasons/) or `other`.",
    )
    comment = serializers.CharField(max_length=5000)

    def get_fields(self):
        fields = super().get_fields()
        fields["reasons"].child.choices = requirements.rejection_reasons()
        return fields


class RejectionReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
