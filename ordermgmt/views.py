"""Project-level pages: health check, home (per role), notifications, API tokens."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import connection, transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import ListView

from . import selectors, services
from .api.throttling import ClientScopedRateThrottle
from .exceptions import NotVisibleError
from .forms import SignInForm


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


class TokenListView(LoginRequiredMixin, View):
    """Your API tokens (a manager: everyone's): create a named one, rotate or revoke. A new token is shown once, in
    the answer to the POST that made it, never stored in a message or a redirect."""

    template_name = "ordermgmt/token_list.html"

    def get(self, request, issued=None):
        tokens = selectors.api_token_list(user=request.user)
        context = {"tokens": tokens, "issued": issued, "ttl_days": settings.API_TOKEN_TTL_DAYS}
        return render(request, self.template_name, context)

    def post(self, request):
        name = request.POST.get("name", "").strip()
        with transaction.atomic():
            token, plain = services.api_token_issue(user=request.user, name=name)
        return self.get(request, issued=(token, plain))


class TokenActionView(LoginRequiredMixin, View):
    """POST rotate / revoke of one token (its owner or a manager; anyone else gets 404)."""

    def post(self, request, pk: int, action: str):
        try:
            if action == "rotate":
                token, plain = services.api_token_rotate(actor=request.user, token_id=pk)
                return TokenListView().get(request, issued=(token, plain))
            if action == "revoke":
                token = services.api_token_revoke(actor=request.user, token_id=pk)
                messages.success(request, f"Token {token.token_key}… revoked: it no longer works.")
                return redirect("tokens")
        except NotVisibleError as exc:
            raise Http404 from exc
        raise Http404


class SignInView(auth_views.LoginView):
    """Django's sign-in page, throttled per client (the `login` rate, as the token endpoint) on top of django-axes'
    lockout of a username from one client address."""

    redirect_authenticated_user = True
    authentication_form = SignInForm
    throttle_scope = "login"

    def post(self, request, *args, **kwargs):
        throttle = ClientScopedRateThrottle()
        if not throttle.allow_request(request, self):
            form = self.get_form()
            wait = int(throttle.wait() or 60)
            form.add_error(None, f"Too many sign-in attempts from your address: try again in {wait} seconds.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)
