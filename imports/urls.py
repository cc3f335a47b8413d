from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.ImportUploadView.as_view(), name="upload"),
    path("runs/<int:pk>/", views.ImportRunDetailView.as_view(), name="run_detail"),
    path("runs/<int:pk>/status/", views.ImportRunStatusView.as_view(), name="run_status"),
    path("runs/<int:pk>/import/", views.ImportRunStartView.as_view(), name="run_start"),
    path("runs/<int:pk>/errors.csv", views.ImportErrorReportView.as_view(), name="run_errors"),
]
