"""The one DRF router. Each app contributes its viewsets through `register(router)` in its api module."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.routers import DefaultRouter
from rest_framework.throttling import ScopedRateThrottle

from approvals.api import urls as approvals_api
from cases.api import urls as cases_api
from kpis.api import urls as kpis_api
from licenses.api import urls as licenses_api
from ordermgmt.api import views
from subscriptions.api import urls as subscriptions_api

app_name = "api"


class TokenView(ObtainAuthToken):
    """`POST {"username", "password"}` -> `{"token"}`. Throttled, and locked out by django-axes after failures."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        finally:
            # django-axes marks a locked-out attempt on the request it authenticated, here DRF's wrapper, which
            # its middleware never sees: without this the lockout answered 400 "wrong credentials" forever.
            if getattr(request, "axes_locked_out", False):
                request._request.axes_locked_out = True
                request._request.axes_credentials = getattr(request, "axes_credentials", None)


router = DefaultRouter()
router.register("regions", views.RegionViewSet, basename="region")
router.register("accounts", views.AccountViewSet, basename="account")
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("notifications", views.NotificationViewSet, basename="notification")
approvals_api.register(router)
subscriptions_api.register(router)
cases_api.register(router)
licenses_api.register(router)
kpis_api.register(router)

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    *approvals_api.urlpatterns,
    *kpis_api.urlpatterns,
    path("", include(router.urls)),
]
