"""API routes of the licenses app, added to the project's one router."""

from .views import LicenseDeliveryViewSet, LicenseFailureViewSet, LicenseTicketViewSet


def register(router) -> None:
    router.register("licenses/deliveries", LicenseDeliveryViewSet, basename="license-delivery")
    router.register("licenses/tickets", LicenseTicketViewSet, basename="license-ticket")
    router.register("licenses/failures", LicenseFailureViewSet, basename="license-failure")
