"""API routes of the approvals app, added to the project's one router."""

from django.urls import path

from .opportunities import OpportunityViewSet
from .views import CorrectionViewSet, OpportunityActionViewSet, QueueViewSet, RejectionReasonsView

urlpatterns = [path("rejection-reasons/", RejectionReasonsView.as_view(), name="rejection-reasons")]


def register(router) -> None:
    router.register("opportunities", OpportunityViewSet, basename="opportunity")
    router.register("opportunities", OpportunityActionViewSet, basename="opportunity-action")
    router.register("queue", QueueViewSet, basename="queue")
    router.register("corrections", CorrectionViewSet, basename="correction")
