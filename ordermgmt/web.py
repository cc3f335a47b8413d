"""Interface plumbing every app's pages share: role checks, service calls that turn refusals into messages, safe
redirects."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import StreamingHttpResponse
from django.utils.http import url_has_allowed_host_and_scheme

from .exceptions import ApplicationError, PermissionDeniedError


class RoleRequiredMixin(LoginRequiredMixin):
    """Signed-in people of the listed roles (superusers always); anybody else gets the 403 page, and anonymous
    visitors the sign-in page."""

    roles: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not (user.is_superuser or user.role in self.roles):
            raise PermissionDenied("Your role does not give access to this page.")
        return super().dispatch(request, *args, **kwargs)


def error_text(exc: Exception) -> str:
    """A domain refusal as one line for a message: field errors as "field: message"."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        parts = []
        for field, errors in exc.message_dict.items():
            label = "" if field == "__all__" else f"{field.replace('_', ' ')}: "
            parts.append(label + " ".join(str(e) for e in errors))
        return "; ".join(parts)
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(getattr(exc, "message", exc))


def run_service(request, service, **kwargs) -> bool:
    """Call a service as `request.user`; refusals become an error message. PermissionDeniedError answers the 403
    page. True when the service succeeded."""
    try:
        service(actor=request.user, **kwargs)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except ApplicationError as exc:
        unmet = exc.extra.get("unmet_requirements")
        detail = f" Missing: {'; '.join(r['label'] for r in unmet)}." if unmet else ""
        messages.error(request, exc.message + detail)
        return False
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return False
    return True


def safe_next(request, default: str) -> str:
    """The `next` URL of the request when it stays on this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def sort_by(request, queryset, columns: dict[str, str]):
    """`queryset` ordered by the list's `?sort=<key>` or `?sort=-<key>` (a key of `columns`, mapped to a field), pk
    last so pages never shuffle; an unknown key keeps the selector's order. Returns (queryset, the applied key)."""
    key = request.GET.get("sort", "")
    field = columns.get(key.removeprefix("-"))
    if field is None:
        return queryset, ""
    descending = key.startswith("-")
    return queryset.order_by(("-" if descending else "") + field, "-pk" if descending else "pk"), key


class _Echo:
    """A file-like object for csv.writer that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    """A value as a CSV cell; text that a spreadsheet would run as a formula is quoted with a leading apostrophe
    (https://owasp.org/www-community/attacks/CSV_Injection)."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> StreamingHttpResponse:
    """A list export: streamed CSV with a UTF-8 byte order mark, so Excel reads accents and non-Latin names right."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow([_cell(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
