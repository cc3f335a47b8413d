from rest_framework import serializers

from ordermgmt.models import Account, Opportunity, Region

from ..models import Discrepancy, Invoice, ReconciliationRun, Subscription


class SubscriptionSerializer(serializers.ModelSerializer):
    renewal_opportunity = serializers.IntegerField(source="renewal_opportunity_id", read_only=True, allow_null=True)
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all())
    exception = serializers.ChoiceField(
        choices=Subscription.ExceptionKind.choices, allow_null=True, required=False, default=None
    )

    class Meta:
        model = Subscription
        fields = [
            "id",
            "name",
            "account",
            "status",
            "term_start",
            "term_end",
            "carr",
            "renewal_opportunity",
            "exception",
            "exception_reason",
        ]
        # Upsert by name: an existing name updates that subscription instead of failing as a duplicate.
        extra_kwargs = {"name": {"validators": []}}

    def validate(self, attrs):
        if attrs["term_end"] < attrs["term_start"]:
            raise serializers.ValidationError({"term_end": ["The term cannot end before it starts."]})
        if attrs.get("exception") and not attrs.get("exception_reason"):
            raise serializers.ValidationError({"exception_reason": ["Give the reason for the exception."]})
        return attrs


class InvoiceSerializer(serializers.ModelSerializer):
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all())
    opportunity = serializers.PrimaryKeyRelatedField(
        queryset=Opportunity.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "account",
            "opportunity",
            "amount",
            "net_arr",
            "invoice_date",
            "service_start",
            "service_end",
            "service_months",
        ]
        extra_kwargs = {
            "number": {"validators": []},
            "net_arr": {"help_text": "Billing's Net ARR, when it has one: the bookings reconciliation compares it."},
            "service_start": {"help_text": "Optional: first day of the service billed (send with service_end)."},
            "service_end": {"help_text": "Optional: last day of the service billed (send with service_start)."},
            "service_months": {
                "help_text": "Optional: months of service billed (derived from the dates when only they are sent). "
                "Without net_arr, reconciliation annualises the amount over it: amount * 12 / months (no period: "
                "the primary quote's term, else 12)."
            },
        }

    def validate(self, attrs):
        opp = attrs.get("opportunity")
        if opp is not None and opp.account_id != attrs["account"].pk:
            raise serializers.ValidationError({"opportunity": ["This opportunity belongs to another account."]})
        start, end = attrs.get("service_start"), attrs.get("service_end")
        if (start is None) != (end is None):
            field = "service_end" if start else "service_start"
            raise serializers.ValidationError({field: ["Send both ends of the service period."]})
        if start is not None and end < start:
            raise serializers.ValidationError({"service_end": ["The service period cannot end before it starts."]})
        return attrs


class ReconciliationRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReconciliationRun
        fields = [
            "id",
            "kind",
            "status",
            "progress",
            "started_at",
            "finished_at",
            "counts",
            "as_of",
            "period",
            "region",
            "started_by",
            "created_at",
            "error",
        ]
        read_only_fields = fields


class ReconciliationRunInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReconciliationRun.Kind.choices)
    as_of = serializers.DateField(
        required=False, help_text="Renewals: the day checked. Bookings: the month defaults to the one before it."
    )
    region = serializers.ChoiceField(
        choices=Region.Code.choices, required=False, help_text="Only this region's findings (default: every region)."
    )
    month = serializers.RegexField(
        r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        error_messages={"invalid": "Use YYYY-MM."},
        help_text="Bookings: the month checked, YYYY-MM (default: the month before as_of, itself today by default).",
    )

    def validate_month(self, value: str) -> str:
        # The run checks [first day, first day of the next month): both must be real dates (not 0000-01, 9999-12).
        if not 1 <= int(value[:4]) <= 9998:
            raise serializers.ValidationError("Use a month between 0001-01 and 9998-12.")
        return value


class DiscrepancySerializer(serializers.ModelSerializer):
    class Meta:
        model = Discrepancy
        fields = [
            "id",
            "run",
            "kind",
            "subscription",
            "opportunity",
            "invoice",
            "expected",
            "actual",
            "proposed_fix",
            "status",
            "first_seen_at",
            "last_seen_at",
            "period",
            "reason",
            "resolved_at",
            "resolved_by",
            "applied_changes",
        ]
        read_only_fields = fields


class DiscrepancyResolveInputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["apply", "accept"])
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")

    def validate(self, attrs):
        if attrs["action"] == "accept" and not attrs["reason"].strip():
            raise serializers.ValidationError({"reason": ["Say why this is an accepted exception."]})
        return attrs


class DiscrepancyBatchInputSerializer(DiscrepancyResolveInputSerializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=1000)


class DiscrepancyUndoInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
