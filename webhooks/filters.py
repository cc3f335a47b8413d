"""The FilterSet of the delivery log (the API's `?endpoint=&status=&event_kind=`)."""

import django_filters

from .models import WebhookDelivery


class WebhookDeliveryFilterSet(django_filters.FilterSet):
    event_kind = django_filters.CharFilter(field_name="event__kind")

    class Meta:
        model = WebhookDelivery
        fields = ["endpoint", "status", "event_kind"]
