"""Webhook endpoints through the API, for managers: register (the secret is in the 201 answer only), edit,
deactivate or delete, rotate the secret, send a test event; read the delivery log and redeliver."""

from __future__ import annotations

from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ordermgmt.api.permissions import has_role
from ordermgmt.models import User

from .. import selectors, services
from ..filters import WebhookDeliveryFilterSet
from ..models import WebhookAttempt, WebhookEndpoint
from .serializers import WebhookDeliverySerializer, WebhookEndpointSerializer, WebhookEndpointWithSecretSerializer


def _with_secret(endpoint: WebhookEndpoint, secret: str) -> dict:
    return {**WebhookEndpointSerializer(endpoint).data, "secret": secret}


class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Outbound webhook endpoints (managers only). Payloads are signed with the endpoint's secret
    (`X-OrderMgmt-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`); see README, "Webhooks"."""

    permission_classes = [IsAuthenticated, has_role(User.Role.MANAGER)]
    serializer_class = WebhookEndpointSerializer
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.webhook_endpoint_list()

    @extend_schema(request=WebhookEndpointSerializer, responses={201: WebhookEndpointWithSecretSerializer})
    def create(self, request, *args, **kwargs):
        payload = WebhookEndpointSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        endpoint, secret = services.webhook_endpoint_create(actor=request.user, **payload.validated_data)
        return Response(_with_secret(endpoint, secret), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        endpoint = self.get_object()
        payload = WebhookEndpointSerializer(endpoint, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(
            actor=request.user, endpoint_id=endpoint.pk, **payload.validated_data
        )
        return Response(WebhookEndpointSerializer(endpoint).data)

    def destroy(self, request, *args, **kwargs):
        services.webhook_endpoint_delete(actor=request.user, endpoint_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: WebhookEndpointWithSecretSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new secret replaces the old one at once; it is in this answer only."""
        endpoint, secret = services.webhook_endpoint_rotate_secret(actor=request.user, endpoint_id=self.get_object().pk)
        return Response(_with_secret(endpoint, secret))

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a `webhook.test` event to this endpoint now (whatever it subscribes to); follow it in the delivery
        log (`/api/webhooks/deliveries/?endpoint=<id>`)."""
        delivery = services.webhook_test_send(actor=request.user, endpoint_id=self.get_object().pk)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The delivery log (managers only), newest first: each delivery of an event to an endpoint, with every attempt
    (status code, duration, error). Filter with `?endpoint=<id>`, `status`, `event_kind`."""

    permission_classes = [IsAuthenticated, has_role(User.Role.MANAGER)]
    serializer_class = WebhookDeliverySerializer
    filterset_class = WebhookDeliveryFilterSet
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        attempts = Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("number"))
        return selectors.webhook_delivery_list().prefetch_related(attempts)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        """Send a delivery again now, with the same event id (a failed one, or one the receiver lost)."""
        delivery = services.webhook_delivery_redeliver(actor=request.user, delivery_id=self.get_object().pk)
        return Response(self.get_serializer(delivery).data, status=status.HTTP_202_ACCEPTED)
