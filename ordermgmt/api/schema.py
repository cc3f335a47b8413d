"""The error answers of every operation, documented once (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]).

ordermgmt.api.exception_handler shapes every error body; this hook adds its two components, `Error` and
`ValidationError`, and attaches them as the 400/401/403/404/409 responses each operation can give, so a generated
client can read `code` and the field errors without guessing.
"""

from __future__ import annotations

from django.urls import get_resolver
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView

V1 = "/api/v1/"

ERROR = {
    "type": "object",
    "description": "An error: `detail` says why for a person, `code` says what for a program. Some errors add "
    "context beside them (`current_status`, `unmet_requirements`, `possible_duplicate_of`, ...).",
    "properties": {
        "detail": {
            "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
            "description": "What went wrong, for a person.",
        },
        "code": {
            "type": "string",
            "description": "What went wrong, for a program: `not_authenticated`, `authentication_failed`, "
            "`permission_denied`, `not_found`, `invalid`, `invalid_transition`, `conflict`, `throttled`, ...",
        },
    },
    "required": ["detail", "code"],
    "additionalProperties": True,
}

FIELD_ERROR = {
    "type": "object",
    "properties": {
        "field": {
            "type": "string",
            "description": "The field, dotted for nested ones (`primary_quote.sold_to_contact`); `non_field_errors` "
            "for the body as a whole.",
        },
        "code": {"type": "string", "description": "`required`, `invalid`, `does_not_exist`, `max_length`, ..."},
        "message": {"type": "string"},
    },
    "required": ["field", "code", "message"],
}

VALIDATION_ERROR = {
    "type": "object",
    "description": "Bad input. Field errors answer `{field: [messages]}` (nested as the request body is) with "
    "`errors` listing each one with its code; an input refused as a whole answers `detail` instead.",
    "properties": {
        "code": {"type": "string", "description": "`invalid` for field errors; otherwise what was refused."},
        "detail": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
    },
    "required": ["code"],
    "additionalProperties": True,
}

DESCRIPTIONS = {
    "400": "Bad input: `{field: [messages]}` with `errors`, or `{detail, code}`",
    "401": "Not authenticated: no token or session, or an invalid or expired token",
    "403": "Not allowed for this role or object",
    "404": "Not found or not visible",
    "409": "The record changed or is in a state that does not allow this (`detail` says why)",
}
WRITES = {"post", "put", "patch", "delete"}


def _expected_errors(path: str, method: str, operation: dict) -> set[str]:
    """The error statuses this operation can answer, by what it takes and who may call it."""
    codes = set()
    security = operation.get("security", [])
    if security and {} not in security:
        codes |= {"401", "403"}
    if "{" in path:
        codes.add("404")
    if method in WRITES:
        codes |= {"400", "409"}
    elif any(p.get("in") == "query" for p in operation.get("parameters", [])):
        codes.add("400")  # a filter or period that does not parse
    return codes


def add_error_responses(result, generator, request, public):
    """Attach `Error`/`ValidationError` to every operation's 4xx answers (drf-spectacular postprocessing hook)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update({"Error": ERROR, "FieldError": FIELD_ERROR, "ValidationError": VALIDATION_ERROR})
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code in sorted(_expected_errors(path, method, operation) - set(responses)):
                responses[code] = {"description": DESCRIPTIONS[code]}
            for code, response in responses.items():
                if not code.startswith("4") or response.get("content"):
                    continue
                component = "ValidationError" if code == "400" else "Error"
                response["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}}
                response["description"] = response.get("description") or DESCRIPTIONS.get(code, "Error")
            operation["responses"] = dict(sorted(responses.items()))
    return result


def unversioned_or_v1(endpoints):
    """One copy of each operation (drf-spectacular preprocessing hook): the project's URLconf serves every API path
    twice, as /api/v1/... and as its unversioned alias; the default schema keeps the aliases, which API.md names."""
    if all(path.startswith(V1) for path, *_ in endpoints):
        return endpoints  # SchemaView for /api/v1/schema/ generated from the v1 patterns alone
    return [endpoint for endpoint in endpoints if not endpoint[0].startswith(V1)]


class SchemaView(SpectacularAPIView):
    """`/api/schema/` describes the paths API.md names (`/api/...`); `/api/v1/schema/` the same operations, with the
    same operation ids, under `/api/v1/`, for clients that pin the version."""

    @extend_schema(exclude=True)  # as SpectacularAPIView's own get (SERVE_INCLUDE_SCHEMA is off)
    def get(self, request, *args, **kwargs):
        if request.resolver_match.namespace == "v1":
            self.patterns = [p for p in get_resolver().url_patterns if str(p.pattern) == V1.lstrip("/")]
        return super().get(request, *args, **kwargs)
