from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.CaseListView.as_view(), name="list"),
    path("export.csv", views.CaseExportView.as_view(), name="export"),
    path("export.xlsx", views.CaseExportView.as_view(export_format="xlsx"), name="export_xlsx"),
    path("mine/", views.MyCasesView.as_view(), name="mine"),
    path("mine/export.csv", views.MyCasesExportView.as_view(), name="mine_export"),
    path("mine/export.xlsx", views.MyCasesExportView.as_view(export_format="xlsx"), name="mine_export_xlsx"),
    path("teams/", views.TeamMembershipView.as_view(), name="teams"),
    path("queue/<slug:team>/", views.CaseQueueView.as_view(), name="queue"),
    path("new/", views.CaseCreateView.as_view(), name="new"),
    path("<int:pk>/", views.CaseDetailView.as_view(), name="detail"),
    path("<int:pk>/take/", views.CaseTakeView.as_view(), name="take"),
    path("<int:pk>/assign/", views.CaseAssignView.as_view(), name="assign"),
    path("<int:pk>/comment/", views.CaseCommentView.as_view(), name="comment"),
    path("<int:pk>/status/", views.CaseStatusView.as_view(), name="status"),
    path("<int:pk>/reopen/", views.CaseReopenView.as_view(), name="reopen"),
    path("<int:pk>/attach/", views.CaseAttachView.as_view(), name="attach"),
]
