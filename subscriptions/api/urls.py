"""API routes of the subscriptions app, added to the project's one router."""

from . import views

urlpatterns = []


def register(router) -> None:
    router.register("subscriptions", views.SubscriptionViewSet, basename="subscription")
    router.register("invoices", views.InvoiceViewSet, basename="invoice")
    router.register("reconciliation/runs", views.ReconciliationRunViewSet, basename="reconciliation-run")
    router.register("reconciliation/discrepancies", views.DiscrepancyViewSet, basename="discrepancy")
