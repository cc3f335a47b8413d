"""Keyset pagination for the priority queue.

DRF's CursorPagination builds its cursor from the first ordering column only (wrong for a multi-column priority
order, DRF #7887); this one encodes the whole sort key of the last row and seeks past it with an expanded OR plus
the redundant leading bound, so the partial queue index serves every page at any depth.
"""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Q
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param


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
        """The sort key of `row` (a model instance or a `queue_rows` dict), opaque to the client."""
        get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
        key = [
            get("escalated"),
            get("start_date").isoformat(),
            str(get("net_arr")),
            get("submitted_at").isoformat(),
            get("id"),
        ]
        return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()

    @staticmethod
    def decode_cursor(cursor: str):
        """The sort key back from a cursor; 400 (ValidationError naming `cursor`) when it was tampered with."""
        try:
            escalated, start, net_arr, submitted, pk = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            return (
                bool(escalated),
                date.fromisoformat(start),
                Decimal(net_arr),
                datetime.fromisoformat(submitted),
                int(pk),
            )
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            raise ValidationError({"cursor": ["Invalid cursor."]}) from exc

    @staticmethod
    def after_cursor(key) -> Q:
        """Rows strictly after `key` in (-escalated, start_date, -net_arr, submitted_at, id) order."""
        escalated, start, net_arr, submitted, pk = key
        after_within_escalation = (
            Q(start_date__gt=start)
            | Q(start_date=start, net_arr__lt=net_arr)
            | Q(start_date=start, net_arr=net_arr, submitted_at__gt=submitted)
            | Q(start_date=start, net_arr=net_arr, submitted_at=submitted, pk__gt=pk)
        )
        if escalated:
            # the rest of the escalated block, then every non-escalated row
            return Q(escalated=False) | (Q(escalated=True) & Q(start_date__gte=start) & after_within_escalation)
        return Q(escalated=False) & Q(start_date__gte=start) & after_within_escalation
