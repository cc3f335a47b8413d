"""API routes of cases, added to the project's one router."""

from .views import CaseViewSet, OpportunityRequestSupportViewSet


def register(router) -> None:
    router.register("cases", CaseViewSet, basename="case")
    # Only the detail action `request-support`: the opportunity viewset itself belongs to ordermgmt.
    router.register("opportunities", OpportunityRequestSupportViewSet, basename="opportunity-support")
