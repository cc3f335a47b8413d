"""Shared set-up for the benchmarks: a quiet machine, Django on a dedicated PostgreSQL database, in-process WSGI
calls and real API tokens. Timing, budgets (RESULT lines), profiles and memory probes are in measure.py.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
# whitenoise warns once per process that `collectstatic` has not run; the benchmarks serve no static files.
warnings.filterwarnings("ignore", message="No directory at")


# --- a quiet machine ---------------------------------------------------------------------------------------------


def busy_cores(seconds: float = 2.0) -> float:
    """How many cores the whole machine kept busy over the next `seconds` (Linux /proc/stat)."""

    def sample():
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        return sum(values) - values[3] - values[4], time.perf_counter()

    (busy0, t0), _ = sample(), time.sleep(seconds)
    busy1, t1 = sample()
    return (busy1 - busy0) / os.sysconf("SC_CLK_TCK") / (t1 - t0)


def wait_for_quiet(threshold: float = 0.5, max_wait: float = 240, label: str = "") -> str:
    """Before measuring: wait (up to `max_wait` s) until other work on the machine (a test suite, say) keeps fewer
    than `threshold` cores busy. Never waits for our own processes (call it when ours are idle). Returns a note."""
    started = time.perf_counter()
    busy = busy_cores()
    while busy > threshold and time.perf_counter() - started < max_wait:
        time.sleep(5)
        busy = busy_cores()
    waited = time.perf_counter() - started
    note = f"machine busy {busy:.2f} cores before {label or 'measuring'}" + (
        f" (waited {waited:.0f} s for other work to calm down)" if waited > 3 else ""
    )
    if busy > threshold:
        note += f"; still above {threshold} cores: measured anyway"
    print(note, flush=True)
    return note


# --- databases -------------------------------------------------------------------------------------------------------


def _server() -> tuple[str, str]:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ordermgmt")
    host = base.split("@")[-1].split("/")[0]
    hostname, _, port = host.partition(":")
    return hostname, port or "5432"


def psql(db_name: str, sql: str) -> str:
    """One statement's result as text ('' when the database or the table does not exist)."""
    hostname, port = _server()
    return subprocess.run(
        ["psql", "-h", hostname, "-p", port, "-U", "postgres", "-d", db_name, "-tAc", sql],
        capture_output=True,
        text=True,
    ).stdout.strip()


def drop_database(db_name: str) -> None:
    hostname, port = _server()
    subprocess.run(
        ["dropdb", "--if-exists", "--force", "-h", hostname, "-p", port, "-U", "postgres", db_name], check=True
    )


def setup_django(db_name: str, *, recreate: bool = False, persistent: bool = True) -> None:
    """Point Django at postgres://…/<db_name> (created if missing, dropped first with `recreate`), migrate, set up.

    `persistent`: keep the database connection across in-process requests (CONN_MAX_AGE), as gunicorn has it in
    production; otherwise every WSGI call would open a new connection (the test settings' default).
    """
    if recreate:
        drop_database(db_name)
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ordermgmt")
    url = base.rsplit("/", 1)[0] + "/" + db_name
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "ordermgmt.settings.test"
    os.environ.setdefault("AXES_ENABLED", "false")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    if persistent:
        os.environ.setdefault("DJANGO_CONN_MAX_AGE", "600")
    hostname, port = _server()
    exists = psql("postgres", f"SELECT 1 FROM pg_database WHERE datname='{db_name}'")
    if exists != "1":
        subprocess.run(["createdb", "-h", hostname, "-p", port, "-U", "postgres", db_name], check=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill_defaults(*tables: str) -> None:
    """Give every NOT NULL column of `tables` that has no database default its model field's default (an empty
    string for a blank text field), so the benchmarks' hand-written INSERTs keep working when a migration adds a
    column they do not name. Only the benchmark databases are altered; the ORM names every column anyway."""
    from django.apps import apps
    from django.db import connection

    models = {model._meta.db_table: model for model in apps.get_models()}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'",
                [table],
            )
            bare = {row[0] for row in cursor.fetchall()}
            for field in models[table]._meta.concrete_fields:
                if field.column not in bare or not (field.has_default() or field.empty_strings_allowed):
                    continue
                value = field.get_db_prep_save(field.get_default(), connection)
                if value is None:
                    continue
                cursor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{field.column}" SET DEFAULT %s', [value])


def execute(sql: str, params=None) -> int:
    """Run one statement on Django's connection; its rowcount."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def delete_users(where: str) -> None:
    """Delete bench users (`where`: a condition on ordermgmt_user) and their API tokens, whichever token table the
    code base has (DRF's, or hashed ones). Run with triggers off, inside a bulk (re)load."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("authtoken_token", "ordermgmt_apitoken", "knox_authtoken"):
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
            if cursor.fetchone()[0]:
                cursor.execute(f"DELETE FROM {table} WHERE user_id IN (SELECT id FROM ordermgmt_user WHERE {where})")
        cursor.execute(f"DELETE FROM ordermgmt_user WHERE {where}")


def vacuum(*tables: str) -> None:
    """VACUUM ANALYZE (the given tables, or all): after a reset both sides start from the same clean state."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE " + ", ".join(tables))


# --- in-process HTTP through the whole WSGI stack -----------------------------------------------------------------


class Wsgi:
    """Calls Django's WSGI application the way gunicorn does (every middleware, DRF authentication from the
    `Authorization: Token …` header, request_started/finished signals), without a socket in between."""

    def __init__(self):
        from django.core.wsgi import get_wsgi_application

        self.app = get_wsgi_application()

    def call(
        self, method: str, path: str, *, token: str | None = None, body=None, cookie: str | None = None
    ) -> tuple[int, bytes]:
        path, _, query = path.partition("?")
        data = json.dumps(body).encode() if body is not None else b""
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_ACCEPT": "application/json",
            "CONTENT_TYPE": "application/json" if body is not None else "",
            "CONTENT_LENGTH": str(len(data)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(data),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if token:
            environ["HTTP_AUTHORIZATION"] = f"Token {token}"
        if cookie:
            environ["HTTP_COOKIE"] = cookie
            environ["HTTP_ACCEPT"] = "text/html"
        status = []
        chunks = self.app(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            payload = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()  # request_finished: what gunicorn does after writing the response
        return int(status[0].split()[0]), payload

    def get(self, path: str, *, token: str | None = None, cookie: str | None = None) -> tuple[int, bytes]:
        return self.call("GET", path, token=token, cookie=cookie)

    @staticmethod
    def session_cookie(username: str) -> str:
        """A signed-in session for `username` (Django's test client's force_login), as a Cookie header value."""
        from django.contrib.auth import get_user_model
        from django.test import Client

        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        return f"sessionid={client.cookies['sessionid'].value}"


BENCH_PASSWORD = "bench-pass-2026"


def set_password(username: str, password: str = BENCH_PASSWORD) -> None:
    """Give a (bench-created) user a password, so it can sign in for a token like anyone."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    user.set_password(password)
    user.save(update_fields=["password"])


def api_token(wsgi: Wsgi, username: str, password: str = BENCH_PASSWORD) -> str:
    """A real API token, obtained the way a client does: `POST /api/auth/token/ {"username", "password"}`.
    The sign-in is throttled per client address: on 429 wait and retry."""
    for _ in range(6):
        status, body = wsgi.call("POST", "/api/auth/token/", body={"username": username, "password": password})
        if status == 200:
            token = json.loads(body)["token"]
            revoke_other_tokens(wsgi, token, username)
            return token
        if status != 429:
            raise RuntimeError(f"POST /api/auth/token/ as {username}: {status} {body[:300]!r}")
        time.sleep(15)
    raise RuntimeError(f"POST /api/auth/token/ as {username}: still throttled")


def revoke_other_tokens(wsgi: Wsgi, token: str, username: str) -> None:
    """Revoke the user's own earlier tokens (`DELETE /api/auth/tokens/<id>/`), so they do not pile up over repeated
    runs on a reused database (token authentication reads all of a user's tokens). A manager's list has everyone's
    tokens: only `username`'s are touched. Best effort: skipped where the API has no token list."""
    status, body = wsgi.get("/api/auth/tokens/?page_size=200", token=token)
    if status != 200:
        return
    listing = json.loads(body)
    for row in listing.get("results", listing) if isinstance(listing, dict) else listing:
        if (
            isinstance(row, dict)
            and row.get("id")
            and row.get("username") == username
            and not token.startswith(row.get("prefix") or "\0")
        ):
            wsgi.call("DELETE", f"/api/auth/tokens/{row['id']}/", token=token)
