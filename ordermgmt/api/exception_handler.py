"""One place where domain exceptions become HTTP answers."""

import logging
import uuid

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, IntegrityError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ordermgmt.database import is_connection_error
from ordermgmt.exceptions import ApplicationError

logger = logging.getLogger(__name__)


def _nested(errors: dict) -> dict:
    """A service names a nested field with a dot (`primary_quote.approved`, `changes.net_arr`: Django's
    ValidationError takes flat keys only); the API answers in the shape of the request body:
    `{"primary_quote": {"approved": [...]}}`."""
    out: dict = {}
    for key, messages in errors.items():
        head, dot, tail = key.partition(".")
        if dot and not isinstance(out.get(head), list):
            out.setdefault(head, {})[tail] = messages
        else:
            out[key] = messages
    return out


# Codes for answers whose exception carries none (Django's Http404, a database error).
STATUS_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    415: "unsupported_media_type",
    429: "throttled",
    500: "server_error",
    503: "service_unavailable",
}


def _field_errors(detail, codes, prefix: str = "") -> list[dict]:
    """`{"a": {"b": ["msg"]}}` with its DRF codes -> `[{"field": "a.b", "code", "message"}]`."""
    if isinstance(detail, dict):
        return [
            error
            for key, value in detail.items()
            for error in _field_errors(
                value, codes.get(key, {}) if isinstance(codes, dict) else codes, f"{prefix}{key}."
            )
        ]
    if isinstance(detail, list):
        out = []
        for index, item in enumerate(detail):
            code = codes[index] if isinstance(codes, list) and index < len(codes) else codes
            nested = isinstance(item, dict | list)
            out.extend(_field_errors(item, code, f"{prefix}{index}.") if nested else _field_errors(item, code, prefix))
        return out
    return [{"field": prefix.rstrip(".") or "detail", "code": codes if isinstance(codes, str) else "invalid",
             "message": str(detail)}]  # fmt: skip


def _with_codes(response: Response, exc) -> Response:
    """Add the machine-readable `code` (and, for field errors, `errors`) to an error body. Additive only: the
    documented `{"detail"}` and `{"field": [messages]}` shapes stay as they were."""
    data = response.data
    if not isinstance(data, dict) or "code" in data:
        return response
    if isinstance(exc, exceptions.ValidationError) and "detail" not in data:
        data["errors"] = _field_errors(exc.detail, exc.get_codes())
        data["code"] = "invalid"
    elif isinstance(exc, exceptions.APIException) and isinstance(exc.get_codes(), str):
        data["code"] = exc.get_codes()
    else:
        data["code"] = STATUS_CODES.get(response.status_code, "error")
    return response


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response({"detail": exc.message, "code": exc.code, **exc.extra}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        detail = _nested(exc.message_dict) if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, IntegrityError):
        # A constraint the serializer did not foresee (or a race past it): the request conflicts with stored data.
        return Response(
            {"detail": "The change conflicts with existing data (a uniqueness or integrity rule).", "code": "conflict"},
            status=status.HTTP_409_CONFLICT,
        )
    elif isinstance(exc, DatabaseError) and is_connection_error(exc):
        return Response(
            {
                "detail": "The database is unavailable; nothing was saved. Try again shortly.",
                "code": "service_unavailable",
            },
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    elif isinstance(exc, DatabaseError):
        return _server_error(exc, context)
    response = drf_exception_handler(exc, context)
    return _with_codes(response, exc) if response is not None else None


def _server_error(exc: Exception, context) -> Response:
    """Any other database error is ours, not the client's and not an outage: 500, logged with an id the answer
    repeats (the request id, which every log line of the request carries), so a report can be found in the logs."""
    request = context.get("request")
    error_id = getattr(request, "request_id", None) or uuid.uuid4().hex
    logger.error("Database error answered 500 (error id %s)", error_id, exc_info=exc, extra={"error_id": error_id})
    return Response(
        {
            "detail": f"A server error occurred; nothing was saved. Quote error id {error_id} when you report it.",
            "code": "server_error",
            "error_id": error_id,
        },
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
