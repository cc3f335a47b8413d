"""Project middleware: a Content-Security-Policy header, a clean 503 when the database is gone, the viewer's time
zone."""

from django.db import DatabaseError
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from pghistory.middleware import HistoryMiddleware as PghistoryMiddleware

from .database import is_connection_error, is_postgresql

# Every asset is served by the project itself, so the policy allows only 'self'.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; object-src 'none'; frame-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'"
)
# The interactive API docs (Swagger UI) need inline styles and scripts of their own.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'").replace(
    "script-src 'self'", "script-src 'self' 'unsafe-inline'"
)


class HistoryMiddleware(PghistoryMiddleware):
    """pghistory's request context (who changed what), on PostgreSQL only.

    Its triggers exist only on PostgreSQL, and its context code uses psycopg's transaction API, which the SQLite
    development default does not have.
    """

    def __call__(self, request):
        if not is_postgresql():
            return self.get_response(request)
        return super().__call__(request)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = DOCS_CSP if request.path.startswith("/api/docs") else CSP
        response.setdefault("Referrer-Policy", "same-origin")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class DatabaseUnavailableMiddleware:
    """A request that loses its database connection answers 503, not a server error page.

    Services run inside `transaction.atomic`, so nothing half-written survives the failure.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not (isinstance(exception, DatabaseError) and is_connection_error(exception)):
            return None  # other database errors are bugs: Django's 500 page, logged with the request id
        message = "The database is unavailable; nothing was saved. Try again shortly."
        if request.path.startswith("/api/") or request.path == "/healthz":
            return JsonResponse({"detail": message}, status=503)
        return render(request, "503.html", {"message": message}, status=503)


class TimeZoneMiddleware:
    """Pages show and read times in the viewer's zone (`ordermgmt.zones.user_zone`): their setting, else their
    region's, else UTC. The API stays in UTC: its datetimes are ISO 8601 with the UTC offset (API.md), and DRF
    would otherwise render and parse them in the active zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .zones import user_zone

        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or user is None or not user.is_authenticated:
            timezone.deactivate()
            return self.get_response(request)
        zone = user_zone(user)
        timezone.activate(zone)
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        if response.streaming and not response.is_async:
            # A streamed export (CSV) renders its rows after this returns: keep the viewer's zone for those too.
            response.streaming_content = _in_zone(zone, response.streaming_content)
        return response


def _in_zone(zone, chunks):
    """`chunks`, each one produced with `zone` active (and nothing else in the thread affected between them)."""
    iterator = iter(chunks)
    while True:
        with timezone.override(zone):
            try:
                chunk = next(iterator)
            except StopIteration:
                return
        yield chunk
