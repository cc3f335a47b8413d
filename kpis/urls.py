from django.urls import path

from . import views

app_name = "kpis"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("drill/<slug:kpi>/", views.DrillView.as_view(), name="drill"),
    path("export.csv", views.ExportView.as_view(), name="export"),
    path("csat/", views.CsatSurveyView.as_view(), name="csat"),
]
