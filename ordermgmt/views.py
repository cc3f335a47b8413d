"""Project-level pages: health check, home (per role), notifications, API tokens."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import connection, transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import ListView

from . import selectors, services, web
from .api.throttling import ClientScopedRateThrottle
from .exceptions import NotVisibleError
from .forms import EmailPreferencesForm, SignInForm, TimeZoneForm
from .models import NOTIFICATION_KINDS
from .models.messaging import kind_label


def ping(request):
    """The framework's floor for the load benchmark: no database, no session, no template. No login."""
    return HttpResponse("ok", content_type="text/plain")


def server_error(request):
    """Django's 500 view, plus the error id: rendered without a request context (no user, no queries) so it cannot
    fail the way the page it replaces did."""
    from django.template import loader

    error_id = getattr(request, "request_id", "")
    return HttpResponse(loader.get_template("500.html").render({"error_id": error_id}), status=500)


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
        from django.urls import NoReverseMatch

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
    """Your notifications, newest first, 50 a page, filtered by kind or unread; mark one or all read."""

    template_name = "ordermgmt/notification_list.html"
    paginate_by = 50
    context_object_name = "notifications"

    def get_queryset(self):
        self.verb = self.request.GET.get("kind", "")
        self.unread = self.request.GET.get("unread") == "1"
        return selectors.notification_list(user=self.request.user, verb=self.verb, unread=self.unread)

    def get_context_data(self, **kwargs):
        kinds = [(k, kind_label(k)) for k in selectors.notification_kinds(user=self.request.user)]
        return super().get_context_data(kinds=kinds, kind=self.verb, unread=self.unread, **kwargs)


class NotificationReadView(LoginRequiredMixin, View):
    """POST: mark one notification (`id`) or all of yours read, then back to the list as it was filtered."""

    def post(self, request):
        raw = request.POST.get("id", "")
        ids = [int(raw)] if raw.isdecimal() else None
        with transaction.atomic():
            count = services.notification_mark_read(user=request.user, notification_ids=ids)
        if ids is None:
            messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
        return redirect(web.safe_next(request, reverse("notifications")))


class NotificationSettingsView(LoginRequiredMixin, View):
    """Email per kind of notification: every kind is in product; a person mutes the emails they do not want."""

    template_name = "ordermgmt/notification_settings.html"

    def get(self, request):
        muted = set(request.user.muted_email_kinds or ())
        kinds = [kind for kind, _label in NOTIFICATION_KINDS if kind not in muted]
        return render(request, self.template_name, {"form": EmailPreferencesForm(initial={"email_kinds": kinds})})

    def post(self, request):
        form = EmailPreferencesForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose kinds from the list.")
            return render(request, self.template_name, {"form": form}, status=400)
        wanted = set(form.cleaned_data["email_kinds"])
        muted = [kind for kind, _label in NOTIFICATION_KINDS if kind not in wanted]
        services.user_email_preferences_set(user=request.user, muted_kinds=muted)
        messages.success(request, f"Saved: {len(wanted)} kind(s) by email, {len(muted)} in product only.")
        return redirect("notification_settings")


class UserSettingsView(LoginRequiredMixin, View):
    """Your settings: the time zone the pages use (blank: your region's, else UTC); links to the email settings."""

    template_name = "ordermgmt/user_settings.html"

    def form(self, data=None) -> TimeZoneForm:
        from .zones import region_zone

        user = self.request.user
        default = f"your region's, {region_zone(user.region_id).key}" if user.region_id else "UTC"
        return TimeZoneForm(data, initial={"time_zone": user.time_zone}, default_label=default)

    def get(self, request):
        return render(request, self.template_name, {"form": self.form(), "now": timezone.now()})

    def post(self, request):
        form = self.form(request.POST)
        if not form.is_valid():
            messages.error(request, "Your settings were not saved: choose a time zone from the list.")
            return render(request, self.template_name, {"form": form, "now": timezone.now()}, status=400)
        from .zones import user_zone

        services.user_time_zone_set(user=request.user, time_zone=form.cleaned_data["time_zone"])
        messages.success(request, f"Saved: times now show in {user_zone(request.user).key}.")
        return redirect("user_settings")


@login_required
def notification_count(request):
    """The bell's unread count as a fragment, polled by htmx every 60 s."""
    count = selectors.notification_unread_count(user=request.user)
    return render(request, "partials/_bell_count.html", {"unread_notifications": count})


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
