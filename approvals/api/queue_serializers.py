"""The approval queue as the API shows it: one row in the shape of API.md, with its SLA figures computed for `now`
from the stored SLA times."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from approvals.models import Submission
from approvals.selectors import display_name, priority_reason
from approvals.sla import business_hours_remaining, hours_remaining_at, period_end_flag, sla_state


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
