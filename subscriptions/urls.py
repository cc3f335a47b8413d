from django.urls import path

from . import views

app_name = "subscriptions"

urlpatterns = [
    path("reconciliation/", views.RunListView.as_view(), name="runs"),
    path("reconciliation/runs/start/", views.RunStartView.as_view(), name="run_start"),
    path("reconciliation/runs/<int:pk>/", views.RunDetailView.as_view(), name="run_detail"),
    path("reconciliation/runs/<int:pk>/progress/", views.RunProgressView.as_view(), name="run_progress"),
    path("reconciliation/discrepancies/", views.DiscrepancyListView.as_view(), name="discrepancies"),
    path("reconciliation/discrepancies/batch/", views.DiscrepancyBatchView.as_view(), name="discrepancy_batch"),
    path("reconciliation/discrepancies/export.csv", views.DiscrepancyExportView.as_view(), name="discrepancy_export"),
    path(
        "reconciliation/discrepancies/export.xlsx",
        views.DiscrepancyExportView.as_view(export_format="xlsx"),
        name="discrepancy_export_xlsx",
    ),
    path("reconciliation/discrepancies/<int:pk>/", views.DiscrepancyDetailView.as_view(), name="discrepancy_detail"),
    path(
        "reconciliation/discrepancies/<int:pk>/apply/", views.DiscrepancyApplyView.as_view(), name="discrepancy_apply"
    ),
    path(
        "reconciliation/discrepancies/<int:pk>/accept/",
        views.DiscrepancyAcceptView.as_view(),
        name="discrepancy_accept",
    ),
    path("reconciliation/discrepancies/<int:pk>/undo/", views.DiscrepancyUndoView.as_view(), name="discrepancy_undo"),
]
