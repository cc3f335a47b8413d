"""API routes of the webhooks app, added to the project's one router."""

from .views import WebhookDeliveryViewSet, WebhookEndpointViewSet


def register(router) -> None:
    router.register("webhooks/endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")
    router.register("webhooks/deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
