"""Settings come from the environment, strictly; production refuses to start half-configured."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _check(settings_module: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))}
    clean.update({"DJANGO_SETTINGS_MODULE": settings_module, **env})
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'debug': s.DEBUG, 'db': s.DATABASES['default']['ENGINE'], 'broker': s.CELERY_BROKER_URL,"
        " 'hosts': s.ALLOWED_HOSTS, 'ssl': getattr(s, 'SECURE_SSL_REDIRECT', False)}))"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)


def test_embedded_defaults_need_no_environment():
    result = _check("ordermgmt.settings.local", {})
    assert result.returncode == 0, result.stderr
    assert '"db": "django.db.backends.sqlite3"' in result.stdout
    assert '"broker": "filesystem://"' in result.stdout


def test_environment_overrides_database_broker_debug_and_hosts():
    result = _check(
        "ordermgmt.settings.local",
        {
            "DATABASE_URL": "postgres://u:p@db.internal:5432/om",
            "CELERY_BROKER_URL": "redis://cache:6379/1",
            "DJANGO_DEBUG": "false",
            "DJANGO_ALLOWED_HOSTS": "om.example.com,api.example.com",
        },
    )
    assert result.returncode == 0, result.stderr
    assert '"db": "django.db.backends.postgresql"' in result.stdout
    assert '"broker": "redis://cache:6379/1"' in result.stdout
    assert '"debug": false' in result.stdout
    assert '"hosts": ["om.example.com", "api.example.com"]' in result.stdout


def test_debug_parsing_is_strict():
    result = _check("ordermgmt.settings.local", {"DJANGO_DEBUG": "maybe"})
    assert result.returncode != 0 or '"debug": false' in result.stdout


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"])
def test_production_refuses_to_start_without_required_settings(missing):
    env = {
        "DJANGO_SECRET_KEY": "x" * 60,
        "DATABASE_URL": "postgres://u:p@db:5432/om",
        "CELERY_BROKER_URL": "redis://redis:6379/0",
    }
    env.pop(missing)
    result = _check("ordermgmt.settings.production", env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_settings_pass_check_deploy():
    env = {
        "DJANGO_SETTINGS_MODULE": "ordermgmt.settings.production",
        "DJANGO_SECRET_KEY": "a-very-long-random-production-secret-key-0123456789-abcdefghijkl",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ordermgmt"),
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    }
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
