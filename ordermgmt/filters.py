"""FilterSets shared by the API and the HTML lists."""

import django_filters
from django.db.models import Q

from .models import Account, Contact, Opportunity


class SelectorChoiceFilter(django_filters.ChoiceFilter):
    """A choice the FilterSet only validates (400 naming the parameter): the view's selector applies it.

    Because it never changes the queryset, `FilterSetBackend` can check a valid value itself without building the
    FilterSet and its form.
    """

    def filter(self, qs, value):
        return qs

    def accepts(self, value: str) -> bool:
        choices = self.extra["choices"]
        choices = choices() if callable(choices) else choices
        return value == "" or value in {str(key) for key, _ in choices}


class OpportunityFilterSet(django_filters.FilterSet):
    start_date_after = django_filters.DateFilter(field_name="start_date", lookup_expr="gte")
    start_date_before = django_filters.DateFilter(field_name="start_date", lookup_expr="lte")
    search = django_filters.CharFilter(method="filter_search", label="Search (name or account)")

    class Meta:
        model = Opportunity
        fields = ["region", "stage", "approval_status", "type", "deployment", "owner", "route_to_market", "account"]

    def filter_search(self, queryset, name, value):
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(account__name__icontains=value))


class AccountFilterSet(django_filters.FilterSet):
    class Meta:
        model = Account
        fields = ["region", "country"]


class ContactFilterSet(django_filters.FilterSet):
    class Meta:
        model = Contact
        fields = ["account"]
