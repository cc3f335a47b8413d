from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("ping", views.ping, name="ping"),
    path("admin/", admin.site.urls),
    # The versioned API; the unversioned /api/ paths of API.md are aliases of v1 (README, "Deprecation policy").
    path("api/v1/", include(("ordermgmt.api_urls", "api"), namespace="v1")),
    path("api/", include("ordermgmt.api_urls")),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("notifications/", views.NotificationListView.as_view(), name="notifications"),
    path("notifications/read/", views.NotificationReadView.as_view(), name="notifications_read"),
    path("notifications/count/", views.notification_count, name="notifications_count"),
    path("notifications/settings/", views.NotificationSettingsView.as_view(), name="notification_settings"),
    path("settings/", views.UserSettingsView.as_view(), name="user_settings"),
    path("tokens/", views.TokenListView.as_view(), name="tokens"),
    path("tokens/<int:pk>/<str:action>/", views.TokenActionView.as_view(), name="token_action"),
    path("", views.HomeView.as_view(), name="home"),
    path("", include("subscriptions.urls")),
    path("cases/", include("cases.urls")),
    path("licenses/", include("licenses.urls")),
    path("kpis/", include("kpis.urls")),
    path("search/", include("search.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("imports/", include("imports.urls")),
    path("", include("approvals.urls")),
]

# The 500 page names the request's id (every log line of the request carries it) so a report can be found.
handler500 = "ordermgmt.views.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
