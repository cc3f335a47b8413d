"""FilterSets shared by the API and the HTML lists."""

import django_filters

from ordermgmt.models import Region

from .models import Discrepancy, Invoice, ReconciliationRun, Subscription


class SubscriptionFilterSet(django_filters.FilterSet):
    class Meta:
        model = Subscription
        fields = ["status", "account", "exception"]


class InvoiceFilterSet(django_filters.FilterSet):
    invoice_date_after = django_filters.DateFilter(field_name="invoice_date", lookup_expr="gte")
    invoice_date_before = django_filters.DateFilter(field_name="invoice_date", lookup_expr="lte")

    class Meta:
        model = Invoice
        fields = ["account", "opportunity"]


class ReconciliationRunFilterSet(django_filters.FilterSet):
    class Meta:
        model = ReconciliationRun
        fields = ["kind", "status", "region"]


class DiscrepancyFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Discrepancy.Kind.choices)
    status = django_filters.ChoiceFilter(choices=Discrepancy.Status.choices)
    run = django_filters.ModelChoiceFilter(queryset=ReconciliationRun.objects.all())
    region = django_filters.ChoiceFilter(
        choices=Region.Code.choices,
        method="filter_region",
        help_text="The opportunity's region, else the subscription's (or invoice's) customer's.",
    )

    class Meta:
        model = Discrepancy
        fields = ["kind", "status", "run", "region", "subscription", "opportunity", "invoice"]

    def filter_region(self, queryset, name, value):
        return queryset.in_regions([value])
