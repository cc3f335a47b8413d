from django.urls import path

from . import views

app_name = "kpis"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("drill/<slug:kpi>/", views.DrillView.as_view(), name="drill"),
    path("drill/<slug:kpi>/export.csv", views.DrillExportView.as_view(), name="drill_export"),
    path("drill/<slug:kpi>/export.xlsx", views.DrillExportView.as_view(export_format="xlsx"), name="drill_export_xlsx"),
    path("export.csv", views.ExportView.as_view(), name="export"),
    path("export.xlsx", views.ExportView.as_view(export_format="xlsx"), name="export_xlsx"),
    path("csat/", views.CsatSurveyView.as_view(), name="csat"),
]
