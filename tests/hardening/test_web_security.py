"""Web security: CSRF on every POST page and form, login throttling, sessions, headers, secrets from the environment,
and an audit trail that nobody can edit through the database, the admin or the API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import InternalError, transaction
from django.test import Client
from django.utils import timezone

from tests.hardening.urlmatrix import endpoints
from tests.ordermgmt.factories import PASSWORD, RepFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db

POST_PAGES = [e for e in endpoints() if not e.is_api and "post" in e.methods and e.name not in {"login"}]


# --- CSRF --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", POST_PAGES, ids=[e.name for e in POST_PAGES])
def test_every_post_page_refuses_a_request_without_the_csrf_token(world, endpoint):
    from tests.hardening.test_access_matrix import _param

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["manager"])
    path = "/" + endpoint.route.format(**{p: _param(endpoint, p, world, "own") for p in endpoint.params})
    response = client.post(path, {})
    assert response.status_code == 403, path
    assert b"CSRF" in response.content


def test_the_login_form_and_the_session_api_refuse_a_post_without_the_token(world):
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post("/login/", {"username": "x", "password": "y"}).status_code == 403
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(world.own.rep)
    response = signed_in.post(
        f"/api/opportunities/{world.own.opportunity.pk}/recall/", {}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    world.own.opportunity.refresh_from_db()
    assert world.own.opportunity.approval_status == "submitted"


def test_a_post_with_the_token_from_the_page_is_accepted(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.own.rep)
    page = client.get(f"/opportunities/{world.own.opportunity.pk}/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    response = client.post(f"/opportunities/{world.own.opportunity.pk}/recall/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    world.own.opportunity.refresh_from_db()
    assert world.own.opportunity.approval_status == "draft"


def _templates() -> list[Path]:
    return sorted((ROOT / "templates").rglob("*.html"))


def test_every_post_form_in_the_templates_carries_the_csrf_token():
    forms = 0
    for template in _templates():
        text = template.read_text()
        for match in re.finditer(r"<form\b[^>]*method=[\"']post[\"'][^>]*>(.*?)</form>", text, re.S | re.I):
            forms += 1
            assert "{% csrf_token %}" in match.group(1), f"{template.relative_to(ROOT)}: {match.group(0)[:120]}"
    assert forms >= 15


def test_htmx_requests_send_the_csrf_header_from_the_base_template():
    base = (ROOT / "templates" / "base.html").read_text()
    assert 'hx-headers=\'{"X-CSRFToken": "{{ csrf_token }}"}\'' in base
    htmx_posts = [t for t in _templates() if "hx-post" in t.read_text()]
    assert htmx_posts
    for template in htmx_posts:
        assert '{% extends "base.html" %}' in template.read_text() or "csrf" in template.read_text(), template


# --- login throttling ----------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_throttles():
    cache.clear()  # DRF's login throttle counts in the cache; start every test from zero
    yield
    cache.clear()


def test_five_bad_logins_lock_the_login_page_even_for_the_right_password(fresh_throttles):
    user = RepFactory(username="target")
    client = Client()
    statuses = [
        client.post("/login/", {"username": "target", "password": "wrong"}).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]  # the form with an error, then locked
    locked = client.post("/login/", {"username": "target", "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    other_client = Client()  # another username from the same address is not locked out
    RepFactory(username="bystander")
    assert other_client.post("/login/", {"username": "bystander", "password": PASSWORD}).status_code == 302
    assert user.username == "target"


def test_five_bad_token_requests_lock_the_token_endpoint(fresh_throttles):
    RepFactory(username="api_target")
    client = Client()
    statuses = [
        client.post(
            "/api/auth/token/", {"username": "api_target", "password": "wrong"}, content_type="application/json"
        ).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses == [400] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    locked = client.post(
        "/api/auth/token/", {"username": "api_target", "password": PASSWORD}, content_type="application/json"
    )
    assert locked.status_code == 429
    assert '"token"' not in locked.content.decode()


def test_a_good_token_request_answers_a_token(fresh_throttles):
    RepFactory(username="api_ok")
    response = Client().post(
        "/api/auth/token/", {"username": "api_ok", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) == 64
    assert Client(HTTP_AUTHORIZATION=f"Token {token}").get("/api/opportunities/").status_code == 200


# --- sessions, cookies, headers ----------------------------------------------------------------------------------


def test_sessions_expire_after_the_cookie_age_and_at_browser_close(world):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_COOKIE_HTTPONLY is True
    client = Client()
    client.force_login(world.own.rep)
    assert client.get("/opportunities/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)):
        response = client.get("/opportunities/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("path", ["/opportunities/", "/api/opportunities/", "/healthz", "/login/"])
def test_pages_and_api_answers_carry_csp_and_framing_headers(world, path):
    client = Client()
    client.force_login(world.own.rep)
    response = client.get(path)
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self';" in response["Content-Security-Policy"]  # no unsafe-inline outside the API docs
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def _production(code: str, **extra_env) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "ordermgmt.settings.production",
            "DJANGO_SECRET_KEY": "s" * 64,
            "DATABASE_URL": "postgres://u:p@db:5432/om",
            "CELERY_BROKER_URL": "redis://redis:6379/0",
            **extra_env,
        }
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_production_sets_hsts_secure_cookies_and_ssl_redirect():
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps(["
        "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_CONTENT_TYPE_NOSNIFF, s.DEBUG, s.SECRET_KEY == 's' * 64]))"
    )
    result = _production(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[31536000, true, true, true, true, true, false, true]"


def test_production_answers_with_hsts_over_https():
    code = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz', secure=True, headers={'host': '127.0.0.1'}); "
        "print(r.headers.get('Strict-Transport-Security')); "
        "r2 = Client().get('/login/', headers={'host': '127.0.0.1'}); print(r2.status_code, r2.headers.get('Location'))"
    )
    result = _production(code)
    assert result.returncode == 0, result.stderr
    hsts, redirect = result.stdout.strip().splitlines()[-2:]
    assert hsts == "max-age=31536000; includeSubDomains; preload"
    assert redirect == "301 https://127.0.0.1/login/"


def test_secrets_come_only_from_the_environment():
    """No settings module but the developer and test ones carries a literal secret; production has no default."""
    for module in ("base.py", "production.py"):
        text = (ROOT / "ordermgmt" / "settings" / module).read_text()
        for line in text.splitlines():
            if re.match(r"(SECRET_KEY|\w*_PASSWORD|\w*_TOKEN)\s*=", line):
                assert "env." in line or line.strip().startswith("#"), f"{module}: {line}"
    assert 'SECRET_KEY = env.str("DJANGO_SECRET_KEY")' in (ROOT / "ordermgmt/settings/production.py").read_text()


# --- the audit trail is immutable ------------------------------------------------------------------------------------


def _pghistory_event_models():
    import pghistory.models

    return [m for m in apps.get_models() if issubclass(m, pghistory.models.Event) and not m._meta.abstract]


def test_every_pghistory_event_table_refuses_update_and_delete(world):
    checked = []
    for model in _pghistory_event_models():
        row = model.objects.order_by("pk").first()
        if row is None:
            continue
        with pytest.raises(InternalError), transaction.atomic():
            model.objects.filter(pk=row.pk).update(pgh_label="forged")
        with pytest.raises(InternalError), transaction.atomic():
            model.objects.filter(pk=row.pk).delete()
        assert model.objects.filter(pk=row.pk).exclude(pgh_label="forged").exists()
        checked.append(model.__name__)
    assert {"OpportunityAudit", "AccountAudit", "ContactAudit"} <= set(checked), checked
    assert len(checked) >= 5, checked


def test_every_tracked_table_has_an_event_table_with_the_append_only_trigger():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT event_object_table FROM information_schema.triggers WHERE trigger_name LIKE %s",
            ["pgtrigger_append_only%"],
        )
        protected = {row[0] for row in cursor.fetchall()}
    tables = {m._meta.db_table for m in _pghistory_event_models()}
    assert tables
    assert tables <= protected, sorted(tables - protected)


EVENT_MODELS = ["ordermgmt.OpportunityEvent", "cases.CaseEvent", "subscriptions.DiscrepancyEvent"]


@pytest.mark.parametrize("label", EVENT_MODELS)
def test_event_rows_cannot_be_changed_or_deleted_in_the_admin(world, label):
    from subscriptions.services import discrepancy_accept

    discrepancy_accept(discrepancy_ids=[world.own.discrepancy.pk], actor=world.own.specialist, reason="Known")
    model = apps.get_model(label)
    row = model.objects.order_by("pk").first()
    assert row is not None
    admin_user = UserFactory(username="root", role="manager", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin_user)
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    for path in (f"{base}{row.pk}/change/", f"{base}{row.pk}/delete/", f"{base}add/"):
        response = client.post(path, {"action": "forged", "comment": "forged"})
        assert response.status_code in (403, 404), (path, response.status_code)
    assert model.objects.filter(pk=row.pk).exists()
    assert model.objects.filter(action="forged").count() == 0


def test_inline_event_rows_on_the_case_admin_are_read_only():
    from django.contrib import admin

    from cases.models import Case, CaseEvent

    case_admin = admin.site._registry[Case]
    inline = next(i for i in case_admin.get_inline_instances(None) if i.model is CaseEvent)

    class Request:
        user = type("U", (), {"is_active": True, "is_staff": True, "is_superuser": True, "has_perm": lambda *a: True})()

    assert inline.has_add_permission(Request(), None) is False
    assert inline.has_change_permission(Request(), None) is False
    assert inline.has_delete_permission(Request(), None) is False


def test_no_api_route_writes_history_or_events():
    for endpoint in endpoints():
        if any(word in endpoint.route for word in ("history", "event", "changes-since")):
            assert set(endpoint.methods) == {"get"}, endpoint.route
