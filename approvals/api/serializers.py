"""The opportunity as the API shows it (with its booking requirements), the workflow actions' input, the queue's
output."""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from approvals import requirements
from approvals.models import Comment, Correction, Submission
from approvals.selectors import display_name, priority_reason
from approvals.sla import business_hours_remaining, hours_remaining_at, period_end_flag, sla_state
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


class QueueItemSerializer(serializers.ModelSerializer):
    """A queue row, in the shape of API.md; SLA figures are computed for `now` from the stored SLA times."""

    opportunity = serializers.IntegerField(source="opportunity_id")
    name = serializers.CharField(source="opportunity.name")
    account_name = serializers.CharField(source="opportunity.account.name")
    region = serializers.CharField(source="region_id")
    owner = serializers.IntegerField(source="opportunity.owner_id")
    owner_name = serializers.CharField(source="opportunity.owner.__str__")
    claimed_by = serializers.IntegerField(source="claimed_by_id", allow_null=True)
    claimed_by_name = serializers.SerializerMethodField()
    business_hours_remaining = serializers.SerializerMethodField()
    sla_state = serializers.SerializerMethodField()
    priority_reason = serializers.SerializerMethodField()
    period_end = serializers.SerializerMethodField()
    route_to_market = serializers.CharField(source="opportunity.route_to_market")

    class Meta:
        model = Submission
        fields = [
            "id",
            "opportunity",
            "name",
            "account_name",
            "region",
            "owner",
            "owner_name",
            "start_date",
            "net_arr",
            "amount",
            "submitted_at",
            "escalated",
            "escalation_reason",
            "claimed_by",
            "claimed_by_name",
            "sla_due_at",
            "business_hours_remaining",
            "sla_state",
            "priority_reason",
            "held_until",
            "period_end",
            "route_to_market",
            "state",
            "sequence",
        ]

    def _now(self):
        return self.context.setdefault("now", timezone.now())

    def get_claimed_by_name(self, obj) -> str | None:
        return str(obj.claimed_by) if obj.claimed_by_id else None

    @extend_schema_field(serializers.FloatField())
    def get_business_hours_remaining(self, obj) -> float:
        return business_hours_remaining(obj.sla_due_at, self._now(), obj.region)

    @extend_schema_field(serializers.ChoiceField(choices=["ok", "at_risk", "breached"]))
    def get_sla_state(self, obj) -> str:
        return sla_state(now=self._now(), at_risk_at=obj.sla_at_risk_at, due_at=obj.sla_due_at)

    def get_priority_reason(self, obj) -> str:
        return priority_reason(obj)

    @extend_schema_field(serializers.ChoiceField(choices=["month_end", "quarter_end"], allow_null=True))
    def get_period_end(self, obj) -> str | None:
        return period_end_flag(obj.submitted_at)


def queue_item_data(submission: Submission, now=None) -> dict:
    return QueueItemSerializer(submission, context={"now": now or timezone.now()}).data


def queue_row_data(row: dict, *, regions: dict, now, hours_remaining=None) -> dict:
    """One queue row in the shape of QueueItemSerializer, built from `selectors.queue_rows` (no ORM instances).
    `hours_remaining`: a page's `sla.hours_remaining_at(now)`, shared by its rows."""
    region = regions[row["region_id"]]
    hours_remaining = hours_remaining or hours_remaining_at(now)
    claimed = row["claimed_by_id"]
    return {
        "id": row["id"],
        "opportunity": row["opportunity_id"],
        "name": row["opportunity__name"],
        "account_name": row["opportunity__account__name"],
        "region": row["region_id"],
        "owner": row["opportunity__owner_id"],
        "owner_name": display_name(
            row["opportunity__owner__first_name"],
            row["opportunity__owner__last_name"],
            row["opportunity__owner__username"],
        ),
        "start_date": row["start_date"].isoformat(),
        "net_arr": f"{row['net_arr']:.2f}",
        "amount": f"{row['amount']:.2f}",
        "submitted_at": row["submitted_at"],
        "escalated": row["escalated"],
        "escalation_reason": row["escalation_reason"],
        "claimed_by": claimed,
        "claimed_by_name": display_name(
            row["claimed_by__first_name"], row["claimed_by__last_name"], row["claimed_by__username"]
        )
        if claimed
        else None,
        "sla_due_at": row["sla_due_at"],
        "business_hours_remaining": hours_remaining(row["sla_due_at"], region),
        "sla_state": sla_state(now=now, at_risk_at=row["sla_at_risk_at"], due_at=row["sla_due_at"]),
        "priority_reason": priority_reason(row),
        "held_until": row["held_until"].isoformat() if row["held_until"] else None,
        "period_end": period_end_flag(row["submitted_at"]),
        "route_to_market": row["opportunity__route_to_market"],
        "state": row["state"],
        "sequence": row["sequence"],
    }
