"""The one DRF router. Each app contributes its viewsets through `register(router)` in its api module."""

from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from approvals.api import urls as approvals_api
from cases.api import urls as cases_api
from kpis.api import urls as kpis_api
from licenses.api import urls as licenses_api
from ordermgmt.api import schema, tokens, views
from subscriptions.api import urls as subscriptions_api
from webhooks.api import urls as webhooks_api

app_name = "api"


router = DefaultRouter()
router.register("regions", views.RegionViewSet, basename="region")
router.register("accounts", views.AccountViewSet, basename="account")
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("notifications", views.NotificationViewSet, basename="notification")
router.register("auth/tokens", tokens.ApiTokenViewSet, basename="api-token")
approvals_api.register(router)
subscriptions_api.register(router)
cases_api.register(router)
licenses_api.register(router)
kpis_api.register(router)
webhooks_api.register(router)

urlpatterns = [
    path("auth/token/", tokens.TokenView.as_view(), name="token"),
    path("schema/", schema.SchemaView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    *approvals_api.urlpatterns,
    *kpis_api.urlpatterns,
    path("", include(router.urls)),
]
