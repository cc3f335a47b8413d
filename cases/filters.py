"""The one FilterSet for case lists, used by the API and the HTML list."""

import django_filters

from .models import Case


class CaseFilterSet(django_filters.FilterSet):
    team = django_filters.CharFilter(field_name="team__code", label="Team (code)")
    request_type = django_filters.CharFilter(field_name="request_type__code", label="Request type (code)")
    status = django_filters.MultipleChoiceFilter(choices=Case.Status.choices)
    owner = django_filters.NumberFilter(field_name="owner_id")
    opportunity = django_filters.NumberFilter(field_name="opportunity_id")
    unowned = django_filters.BooleanFilter(field_name="owner", lookup_expr="isnull", label="Unowned")

    class Meta:
        model = Case
        fields = ["team", "request_type", "status", "owner", "opportunity", "unowned"]
