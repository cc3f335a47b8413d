"""The queue's FilterSet, shared by the API and the queue page."""

import django_filters
from rest_framework.exceptions import ValidationError

from ordermgmt.filters import SelectorChoiceFilter
from ordermgmt.models import Region

from .models import Submission
from .selectors import queue_filter_sla


class QueueFilterSet(django_filters.FilterSet):
    region = SelectorChoiceFilter(choices=Region.Code.choices)
    claimed_by = django_filters.CharFilter(method="filter_claimed_by", help_text="A user id, `me` or `none`.")
    sla_state = django_filters.ChoiceFilter(
        choices=[("ok", "ok"), ("at_risk", "at risk"), ("breached", "breached")], method="filter_sla"
    )
    escalated = django_filters.BooleanFilter()
    stage = SelectorChoiceFilter(
        choices=[("om", "Order Management"), ("billing", "Billing")],
        help_text="Which queue: Order Management's (default) or Billing's (default for Billing users).",
    )

    class Meta:
        model = Submission
        fields = ["region", "claimed_by", "sla_state", "escalated"]

    def filter_claimed_by(self, queryset, name, value):
        value = value.strip().lower()
        if value == "me":
            return queryset.filter(claimed_by=self.request.user)
        if value in ("none", "unclaimed"):
            return queryset.filter(claimed_by__isnull=True)
        if value.isdecimal():
            return queryset.filter(claimed_by_id=int(value))
        raise ValidationError({"claimed_by": ["Use a user id, `me` or `none`."]})

    def filter_sla(self, queryset, name, value):
        return queue_filter_sla(queryset, value)
