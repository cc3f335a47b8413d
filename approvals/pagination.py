"""Keyset pagination for the priority queue.

DRF's CursorPagination builds its cursor from the first ordering column only (wrong for a multi-column priority
order, DRF #7887); this one encodes the whole sort key of the last row and seeks past it with an expanded OR plus
the redundant leading bound, so the partial queue index serves every page at any depth.
"""

from __future__ import annotations

import base64
import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from .models import QUEUE_ORDER, Submission


class QueueKeysetPagination(BasePagination):
    page_size = 50
    max_page_size = 200
    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        try:
            size = int(request.query_params.get("page_size", self.page_size))
        except ValueError as exc:
            raise ValidationError({"page_size": ["A whole number, please."]}) from exc
        self.size = max(1, min(size, self.max_page_size))
        cursor = request.query_params.get(self.cursor_query_param)
        if cursor:
            queryset = queryset.filter(self.after_cursor(self.decode_cursor(cursor)))
        rows = list(queryset[: self.size + 1])
        self.has_next = len(rows) > self.size
        self.rows = rows[: self.size]
        return self.rows

    def get_paginated_response(self, data):
        next_url = None
        if self.has_next and self.rows:
            next_url = replace_query_param(
                self.request.build_absolute_uri(), self.cursor_query_param, self.encode_cursor(self.rows[-1])
            )
        return Response({"next": next_url, "previous": None, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    @staticmethod
    def encode_cursor(row) -> str:
        """The sort key of `row` (a model instance or a `queue_rows` dict) along QUEUE_ORDER, opaque to the client."""
        get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
        key = [get(name) for name in _NAMES]
        return base64.urlsafe_b64encode(json.dumps(key, default=_plain).encode()).decode()

    @staticmethod
    def decode_cursor(cursor: str) -> tuple:
        """The sort key back from a cursor; 400 (ValidationError naming `cursor`) when it was tampered with."""
        try:
            values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            if not isinstance(values, list) or len(values) != len(_NAMES):
                raise ValueError("wrong length")
            if any(isinstance(value, str) and "\x00" in value for value in values):
                raise ValueError("NUL in a key")  # PostgreSQL takes no NUL in text: the client's error, not ours
            return tuple(
                Submission._meta.get_field(name).to_python(value) for name, value in zip(_NAMES, values, strict=True)
            )
        except (ValueError, TypeError, json.JSONDecodeError, DjangoValidationError) as exc:
            raise ValidationError({"cursor": ["Invalid cursor."]}) from exc

    @staticmethod
    def after_cursor(key: tuple) -> Q:
        """Rows strictly after `key` in QUEUE_ORDER: the rest of the rows with the same first column, then every row
        past it. Within the first column's block the second column gets its redundant bound too (`start_date >= x`),
        so the partial queue index seeks instead of walking the skipped rows."""
        (first, *rest), (head, *tail) = QUEUE_ORDER, key
        same_head = Q(**{_name(first): head}) & Q(**{f"{_name(rest[0])}__{_op(rest[0], strict=False)}": tail[0]})
        same_head &= _lexicographically_after(rest, tail)
        return same_head | Q(**{f"{_name(first)}__{_op(first)}": head})


def _name(field: str) -> str:
    return "pk" if field == "id" else field.lstrip("-")


def _op(field: str, *, strict: bool = True) -> str:
    return ("lt" if field.startswith("-") else "gt") + ("" if strict else "e")


def _lexicographically_after(order, key) -> Q:
    """(a, b, c) after (x, y, z): a > x, or a = x and b > y, or a = x and b = y and c > z (each way round for a
    descending column)."""
    after, equal = Q(), Q()
    for field, value in zip(order, key, strict=True):
        step = equal & Q(**{f"{_name(field)}__{_op(field)}": value})
        after = step if not after else after | step
        equal &= Q(**{_name(field): value})
    return after


def _plain(value) -> str:
    """Dates and times at full precision (microseconds matter to the order), decimals as text."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


_NAMES = tuple(field.lstrip("-") for field in QUEUE_ORDER)
