from django.urls import path

from . import views

app_name = "licenses"

urlpatterns = [
    path("", views.WorklistView.as_view(), name="worklist"),
    path("run/", views.ReviewRunView.as_view(), name="run"),
    path("runs/", views.ReviewRunListView.as_view(), name="runs"),
    path("runs/<int:pk>/", views.ReviewRunDetailView.as_view(), name="run_detail"),
    path("runs/<int:pk>/progress/", views.ReviewRunProgressView.as_view(), name="run_progress"),
    path("tickets/", views.TicketListView.as_view(), name="tickets"),
    path("tickets/<int:pk>/take/", views.TicketActionView.as_view(action="take"), name="ticket_take"),
    path("tickets/<int:pk>/deliver/", views.TicketActionView.as_view(action="deliver"), name="ticket_deliver"),
    path("failures/", views.FailureCatalogueView.as_view(), name="failures"),
]
