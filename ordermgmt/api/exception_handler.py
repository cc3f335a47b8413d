"""One place where domain exceptions become HTTP answers."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, IntegrityError, OperationalError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ordermgmt.exceptions import ApplicationError


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


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response({"detail": exc.message, **exc.extra}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        detail = _nested(exc.message_dict) if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, IntegrityError):
        # A constraint the serializer did not foresee (or a race past it): the request conflicts with stored data.
        return Response(
            {"detail": "The change conflicts with existing data (a uniqueness or integrity rule)."},
            status=status.HTTP_409_CONFLICT,
        )
    elif isinstance(exc, OperationalError | DatabaseError):
        return Response(
            {"detail": "The database is unavailable; nothing was saved. Try again shortly."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    return drf_exception_handler(exc, context)
