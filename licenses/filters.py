"""FilterSets shared by the licenses API and pages."""

import django_filters

from ordermgmt.models import Opportunity, Region

from .models import LicenseTicket


class LicenseTicketFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=LicenseTicket.Status.choices)
    reason = django_filters.MultipleChoiceFilter(choices=LicenseTicket.Reason.choices)
    region = django_filters.ModelChoiceFilter(queryset=Region.objects.all())
    route_to_market = django_filters.MultipleChoiceFilter(choices=Opportunity.Route.choices)
    created_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = LicenseTicket
        fields = ["status", "reason", "region", "route_to_market", "opportunity"]
