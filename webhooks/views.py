"""The webhooks pages (managers only): the endpoint list with the registration form, and each endpoint's page with
its settings, secret rotation, the test button and the delivery log. A new secret is shown in the answer to the POST
that made it, never stored in a message or a redirect."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from ordermgmt.models import User
from ordermgmt.web import RoleRequiredMixin, error_text

from . import selectors, services
from .forms import WebhookEndpointForm
from .signing import ATTEMPT_HEADER, EVENT_ID_HEADER, SIGNATURE_HEADER


class ManagerOnly(RoleRequiredMixin):
    roles = (User.Role.MANAGER,)


def _endpoint(pk: int):
    return get_object_or_404(selectors.webhook_endpoint_list(), pk=pk)


class WebhookEndpointListView(ManagerOnly, View):
    """Every endpoint; POST registers one and shows its secret once."""

    template_name = "webhooks/endpoint_list.html"

    def get(self, request, form=None, issued=None, status=200):
        context = {
            "endpoints": selectors.webhook_endpoint_list(),
            "form": form or WebhookEndpointForm(),
            "issued": issued,
            "signature_header": SIGNATURE_HEADER,
            "event_id_header": EVENT_ID_HEADER,
        }
        return render(request, self.template_name, context, status=status)

    def post(self, request):
        form = WebhookEndpointForm(request.POST)
        if not form.is_valid():
            return self.get(request, form=form, status=400)
        try:
            with transaction.atomic():
                endpoint, secret = services.webhook_endpoint_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
            return self.get(request, form=form, status=400)
        return self.get(request, issued=(endpoint, secret))


class WebhookEndpointDetailView(ManagerOnly, View):
    """One endpoint: edit it, rotate its secret, send a test event, read its delivery log (every attempt)."""

    template_name = "webhooks/endpoint_detail.html"

    def get(self, request, pk: int, form=None, secret=None, status=200):
        endpoint = _endpoint(pk)
        form = form or WebhookEndpointForm(
            initial={
                "url": endpoint.url,
                "description": endpoint.description,
                "event_kinds": endpoint.event_kinds,
                "is_active": endpoint.is_active,
            }
        )
        deliveries = Paginator(selectors.webhook_delivery_list(endpoint=endpoint), 25).get_page(request.GET.get("page"))
        attempts = selectors.webhook_attempt_list(endpoint=endpoint)[:50]
        context = {
            "endpoint": endpoint,
            "form": form,
            "secret": secret,
            "deliveries": deliveries,
            "page_obj": deliveries,
            "attempts": attempts,
            "attempt_header": ATTEMPT_HEADER,
        }
        return render(request, self.template_name, context, status=status)

    def post(self, request, pk: int):
        endpoint = _endpoint(pk)
        form = WebhookEndpointForm(request.POST)
        if not form.is_valid():
            return self.get(request, pk, form=form, status=400)
        try:
            services.webhook_endpoint_update(actor=request.user, endpoint_id=endpoint.pk, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
            return self.get(request, pk, form=form, status=400)
        messages.success(request, "Webhook endpoint saved.")
        return redirect("webhooks:detail", pk=endpoint.pk)


class WebhookEndpointRotateView(ManagerOnly, View):
    def post(self, request, pk: int):
        endpoint = _endpoint(pk)
        endpoint, secret = services.webhook_endpoint_rotate_secret(actor=request.user, endpoint_id=endpoint.pk)
        return WebhookEndpointDetailView().get(request, endpoint.pk, secret=secret)


class WebhookEndpointTestView(ManagerOnly, View):
    def post(self, request, pk: int):
        endpoint = _endpoint(pk)
        delivery = services.webhook_test_send(actor=request.user, endpoint_id=endpoint.pk)
        messages.success(request, f"Test event {delivery.event_id} queued: its attempts appear in the log below.")
        return redirect("webhooks:detail", pk=endpoint.pk)


class WebhookEndpointDeleteView(ManagerOnly, View):
    def post(self, request, pk: int):
        endpoint = _endpoint(pk)
        services.webhook_endpoint_delete(actor=request.user, endpoint_id=endpoint.pk)
        messages.success(request, f"Webhook endpoint {endpoint.url} deleted.")
        return redirect("webhooks:list")


class WebhookDeliveryRedeliverView(ManagerOnly, View):
    def post(self, request, pk: int, delivery_id: int):
        endpoint = _endpoint(pk)
        delivery = get_object_or_404(selectors.webhook_delivery_list(endpoint=endpoint), pk=delivery_id)
        services.webhook_delivery_redeliver(actor=request.user, delivery_id=delivery.pk)
        messages.success(request, f"Event {delivery.event_id} queued again, with the same event id.")
        return redirect("webhooks:detail", pk=endpoint.pk)
