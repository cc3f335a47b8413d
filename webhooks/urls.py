from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.WebhookEndpointListView.as_view(), name="list"),
    path("<int:pk>/", views.WebhookEndpointDetailView.as_view(), name="detail"),
    path("<int:pk>/rotate/", views.WebhookEndpointRotateView.as_view(), name="rotate"),
    path("<int:pk>/test/", views.WebhookEndpointTestView.as_view(), name="test"),
    path("<int:pk>/delete/", views.WebhookEndpointDeleteView.as_view(), name="delete"),
    path(
        "<int:pk>/deliveries/<int:delivery_id>/redeliver/",
        views.WebhookDeliveryRedeliverView.as_view(),
        name="redeliver",
    ),
]
