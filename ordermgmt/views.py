"""Project-level pages: health check, home (per role), notifications."""

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views import View
from django.views.generic import ListView

from . import selectors


def ping(request):
    """The framework's floor for the load benchmark: no database, no session, no template. No login."""
    return HttpResponse("ok", content_type="text/plain")


def healthz(request):
    """200 when the database (and the Redis broker, where configured) answers; 503 otherwise. No login."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "down"
    broker_url = settings.CELERY_BROKER_URL
    if broker_url.startswith(("redis://", "rediss://")):
        import redis

        try:
            redis.Redis.from_url(broker_url, socket_connect_timeout=1, socket_timeout=1).ping()
            checks["broker"] = "ok"
        except Exception:
            checks["broker"] = "down"
    else:
        checks["broker"] = "embedded"
    healthy = checks["database"] == "ok" and checks["broker"] != "down"
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)


class HomeView(LoginRequiredMixin, View):
    """Each role lands where its work is."""

    def get(self, request):
        from django.urls import NoReverseMatch, reverse

        targets = {
            "sales_rep": "approvals:my_opportunities",
            "specialist": "approvals:queue",
            "manager": "approvals:queue",
            "billing": "approvals:billing_queue",
        }
        try:
            return redirect(reverse(targets.get(request.user.role, "notifications")))
        except NoReverseMatch:
            return redirect("notifications")


class NotificationListView(LoginRequiredMixin, ListView):
    template_name = "ordermgmt/notification_list.html"
    paginate_by = 50
    context_object_name = "notifications"

    def get_queryset(self):
        return selectors.notification_list(user=self.request.user).select_related("opportunity")
