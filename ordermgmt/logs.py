"""Structured logs: every line of a request carries its id and the signed-in user's id.

`RequestContextMiddleware` gives each request an id (the proxy's `X-Request-ID` when it is a sane token, else a new
one) and echoes it in the response; `RequestContextFilter` adds `request_id` and `user_id` to every log record
emitted while the request runs. The JSON lines themselves come from python-json-logger (settings.LOGGING).
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

from django.utils.functional import empty

_current_request: contextvars.ContextVar = contextvars.ContextVar("current_request", default=None)
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offered = request.headers.get("X-Request-ID", "")
        request.request_id = offered if _SANE_ID.fullmatch(offered) else uuid.uuid4().hex
        token = _current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _current_request.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


class RequestContextFilter(logging.Filter):
    """Adds `request_id` and `user_id` (None outside a request, or before anyone is signed in)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = _current_request.get()
        record.request_id = getattr(request, "request_id", None)
        record.user_id = _user_id(request)
        return True


def _user_id(request) -> int | None:
    # Only a user already loaded: reading the session from inside a log call could query the database.
    user = request.__dict__.get("user") if request is not None else None
    user = getattr(user, "_wrapped", user)
    if user is None or user is empty or not getattr(user, "is_authenticated", False):
        return None
    return user.pk
