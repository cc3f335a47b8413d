"""The app boundaries, checked on the source: dependencies run one way, and each app writes only its own models,
only in its services. docs/architecture.md draws the same picture; a test keeps the two equal."""

from __future__ import annotations

import ast
import pathlib
import re

from django.apps import apps

ROOT = pathlib.Path(__file__).resolve().parent.parent

# An app may import the apps of lower layers only (never one beside or above it).
LAYERS = {
    "ordermgmt": 0,
    "approvals": 1,
    "cases": 2,
    "licenses": 2,
    "subscriptions": 2,
    "kpis": 3,
    "search": 3,
    "imports": 3,
    "webhooks": 1,
    "demo": 4,
}
# The project URLconf and settings wire every app together; they are not the foundation's code.
WIRING = {"ordermgmt/urls.py", "ordermgmt/api_urls.py", "ordermgmt/settings"}
# Writes to another app's model, each with the reason it is that app's to make.
FOREIGN_WRITES = {
    ("licenses", "Opportunity", "update"): "License Delivery Date is the license review's field to set",
}
# The demo seeder loads every app's rows in bulk; it is no app's domain code.
SEEDER = "demo"
WRITE_METHODS = {
    "save",
    "update",
    "delete",
    "create",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
}


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/" in relative or any(relative.startswith(w) for w in WIRING):
            continue
        yield relative, ast.parse(path.read_text(), filename=relative)


def import_edges() -> dict[tuple[str, str], set[str]]:
    """(app, imported app) -> the files that import it."""
    edges: dict[tuple[str, str], set[str]] = {}
    for app in LAYERS:
        for relative, tree in _modules(app):
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in LAYERS and top != app:
                        edges.setdefault((app, top), set()).add(relative)
    return edges


def test_every_app_imports_only_apps_below_it():
    upward = {
        f"{app} -> {imported} ({', '.join(sorted(files))})"
        for (app, imported), files in import_edges().items()
        if LAYERS[imported] >= LAYERS[app]
    }
    assert not upward, "imports of an app beside or above: " + "; ".join(sorted(upward))


def test_the_architecture_document_draws_the_real_dependencies():
    text = (ROOT / "docs" / "architecture.md").read_text()
    block = re.search(r"```dependencies\n(.*?)```", text, re.S)
    assert block, "docs/architecture.md needs a ```dependencies block"
    documented = {tuple(line.split(" -> ")) for line in block.group(1).strip().splitlines()}
    assert documented == set(import_edges())


def _receiver_root(node: ast.AST) -> str | None:
    """The name a call chain starts from: `Opportunity` in `Opportunity.objects.filter(...).update(...)`."""
    while isinstance(node, ast.Call | ast.Attribute | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def model_writes():
    """(file, line, app, model, method, model's app) of every write that starts from a model class."""
    owner = {model.__name__: model.__module__.split(".")[0] for model in apps.get_models()}
    for app in LAYERS:
        for relative, tree in _modules(app):
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    method = node.func.attr
                    model = _receiver_root(node.func.value)
                    if method in WRITE_METHODS and model in owner and owner[model] in LAYERS:
                        yield relative, node.lineno, app, model, method, owner[model]


def _in_services(relative: str) -> bool:
    parts = relative.split("/")
    return parts[1] in ("services.py", "services")


def test_each_app_writes_only_its_own_models_and_only_in_its_services():
    wrong = [
        f"{relative}:{line} {model}.{method}"
        for relative, line, app, model, method, model_app in model_writes()
        if app != SEEDER
        and not _in_services(relative)
        or (app != SEEDER and model_app != app and (app, model, method) not in FOREIGN_WRITES)
    ]
    assert not wrong, "writes outside the owning app's services: " + "; ".join(wrong)


def test_instances_are_saved_only_in_services():
    """`x.save()` on any object outside services (views, forms, admin, commands, tasks)."""
    wrong = []
    for app in LAYERS:
        if app == SEEDER:
            continue
        for relative, tree in _modules(app):
            if _in_services(relative):
                continue
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "save"
                    and not (isinstance(node.func.value, ast.Call) and _is_super(node.func.value))
                ):
                    wrong.append(f"{relative}:{node.lineno}")
    assert not wrong, "saves outside services: " + "; ".join(wrong)


def _is_super(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Name) and call.func.id == "super"


def test_the_checks_see_a_violation():
    """The scanners are not vacuous: an upward import and a foreign write in a snippet are found."""
    tree = ast.parse("from kpis import selectors\nOpportunity.objects.filter(pk=1).update(stage='x')\n")
    imports = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "update"]
    assert imports == ["kpis"]
    assert _receiver_root(calls[0].func.value) == "Opportunity"
