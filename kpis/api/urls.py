"""API routes of the KPI app (plain views: nothing for the router)."""

from django.urls import path

from .views import CsatResponseCreateView, KpiExportView, KpiExportXlsxView, KpiSummaryView

urlpatterns = [
    path("kpis/", KpiSummaryView.as_view(), name="kpis"),
    path("kpis/export.csv", KpiExportView.as_view(), name="kpis-export"),
    path("kpis/export.xlsx", KpiExportXlsxView.as_view(), name="kpis-export-xlsx"),
    path("csat/responses/", CsatResponseCreateView.as_view(), name="csat-responses"),
]


def register(router) -> None:
    """Nothing to register: the KPI endpoints are not resources."""
