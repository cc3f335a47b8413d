"""Enumerate every URL of the project from the resolver and turn each into concrete requests.

New endpoints (the KPI app, anything added later) are picked up automatically: the matrix test only needs an
entry in PARAMS when a URL introduces a path parameter this module has never seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

# api/v1/ serves the very views of api/ (its aliases); tests/ordermgmt/test_versioning.py checks they answer the same.
SKIP_PREFIXES = ("admin/", "api/v1/")
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Endpoint:
    route: str  # the pattern with its parameters, e.g. "api/opportunities/{pk}/submit/"
    name: str  # "api:opportunity-action-submit", "approvals:queue"
    methods: tuple[str, ...]
    params: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    @property
    def id(self) -> str:
        return f"{self.name}[{self.route}]"


def _piece(pattern) -> tuple[str, list[str]]:
    """One resolver level as a route template with `{name}` placeholders."""
    if isinstance(pattern, RoutePattern):
        text = str(pattern)
        names = re.findall(r"<(?:\w+:)?(\w+)>", text)
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text), names
    if isinstance(pattern, RegexPattern):
        text = pattern.regex.pattern.lstrip("^").rstrip("$")
        names = re.findall(r"\(\?P<(\w+)>", text)
        text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", text)
        return text.replace("\\.", "."), names
    raise TypeError(pattern)


def _methods(callback) -> tuple[str, ...]:
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is None:  # a function view
        return ("get",)
    names = getattr(cls, "http_method_names", METHODS)
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF viewset route: only the methods mapped to actions
        allowed = [m for m in METHODS if m in actions and m in names]
    else:
        allowed = [m for m in METHODS if hasattr(cls, m) and m in names]
    # PUT is PATCH's twin in every view here (Django's form views, DRF's UpdateModelMixin): PATCH stands for both.
    if "put" in allowed and ("patch" in allowed or "post" in allowed):
        allowed.remove("put")
    return tuple(allowed) or ("get",)


def _walk(patterns, prefix: str = "", params: tuple = (), namespace: str | None = None):
    for entry in patterns:
        piece, names = _piece(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + piece, params + tuple(names), entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            yield (
                prefix + piece,
                f"{namespace}:{entry.name}" if namespace else str(entry.name),
                params + tuple(names),
                entry.callback,
            )


def endpoints() -> list[Endpoint]:
    """Every URL of the project (admin and DRF's `.json` format-suffix twins left out), in resolver order."""
    found: dict[str, Endpoint] = {}
    for route, name, params, callback in _walk(get_resolver().url_patterns):
        if route.startswith(SKIP_PREFIXES) or "format" in params or "/?" in route:
            continue
        if route in found:
            continue
        found[route] = Endpoint(route=route, name=name, methods=_methods(callback), params=params)
    return list(found.values())
