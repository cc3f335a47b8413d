"""Hostile input: schemathesis generates requests for every operation of /api/schema/ (whatever the schema holds,
new apps included) and sends each one as every role. No answer may be a server error, and every documented answer
must match its schema. FUZZ_EXAMPLES bounds the examples per operation; FUZZ_FULL=1 adds schemathesis' coverage
examples (boundary values of every parameter, about four minutes).

Each run draws new cases from one seed, printed at the start of the run and in every failure: FUZZ_SEED if set, else
one derived from the checked-out commit (so every commit CI tests gets new cases, and a re-run of the same commit the
same ones), else from today's date. Replay a failure with `FUZZ_SEED=<seed> make test PYTEST_ARGS=tests/hardening/
test_fuzz.py`. Hypothesis' example database is off, so the seed alone decides the cases."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from ordermgmt.services import api_token_issue
from tests.hardening.conftest import build_world

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
# Schemathesis' explicit and coverage examples (hundreds of boundary cases per operation) take ~4 minutes here:
# FUZZ_FULL=1 runs them too (nightly); CI runs the bounded random generation only.
PHASES = [Phase.explicit, Phase.generate] if os.environ.get("FUZZ_FULL") else [Phase.generate]
CHECKS = [not_a_server_error, response_schema_conformance]


def _default_seed() -> int:
    """The checked-out commit as a number (new cases per commit, the same on a re-run), else today's date."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        return int(commit[:15], 16)
    except (OSError, subprocess.SubprocessError, ValueError):
        return int(datetime.now(UTC).strftime("%Y%m%d"))


SEED = int(os.environ.get("FUZZ_SEED") or _default_seed())
REPLAY = f"FUZZ_SEED={SEED} (replay: FUZZ_SEED={SEED} make test PYTEST_ARGS=tests/hardening/test_fuzz.py)"


def _load_schema():
    """The document /api/schema/ serves (the same drf-spectacular generator), run against the WSGI app in-process.

    Generated here rather than fetched, because collection happens before the test database exists.
    """
    from django.core.wsgi import get_wsgi_application
    from drf_spectacular.generators import SchemaGenerator

    loaded = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    loaded.app = get_wsgi_application()
    # Each operation draws from a seed derived from this one and its name (schemathesis' derive_operation_seed).
    loaded.config.seed = SEED
    return loaded


schema = _load_schema()


_announced: list[bool] = []


def _announce_the_seed(config) -> None:
    """The seed in the output of every run (passing ones too), once, so a later failure of the same cases can be
    found. (Schemathesis' generated tests do not run module-scoped autouse fixtures: the first test says it.)"""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None or _announced:
        return
    _announced.append(True)
    with capture.global_and_fixture_disabled():  # inside a test the output is captured, and shown only on failure
        reporter.write_line(f"\ntests/hardening/test_fuzz.py: {REPLAY}")


@pytest.fixture
def keep_the_test_connection():
    """Requests go through the raw WSGI app, which closes the connection at the end of each request (and with it
    the test's transaction); Django's own test client disconnects the same handlers."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens_and_ids(db, keep_the_test_connection, request):
    """A token per role, and for each resource path the id of an object the rep owns (a real hit, not a 404)."""
    _announce_the_seed(request.config)
    world = build_world()
    tokens = {role: api_token_issue(user=user)[1] for role, user in world.users.items() if user is not None}
    own = world.own
    ids = {
        "/api/opportunities/": own.opportunity.pk,
        "/api/cases/": own.case.pk,
        "/api/licenses/tickets/": own.ticket.pk,
        "/api/subscriptions/": own.subscription.pk,
        "/api/invoices/": own.invoice.pk,
        "/api/reconciliation/runs/": own.run.pk,
        "/api/reconciliation/discrepancies/": own.discrepancy.pk,
        "/api/accounts/": own.account.pk,
        "/api/contacts/": own.contact.pk,
        "/api/regions/": own.region,
    }
    return tokens, ids


def _real_id(path: str, ids: dict) -> object | None:
    for prefix, value in ids.items():
        if path.startswith(prefix + "{"):
            return value
    return None


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    phases=PHASES,
    deadline=None,
    database=None,  # the seed alone decides the cases: no replay of examples saved by earlier runs
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_as_every_role_answers_without_server_errors_and_matches_the_schema(case, tokens_and_ids):
    tokens, ids = tokens_and_ids
    generated = dict(case.path_parameters or {})
    real = _real_id(case.path, ids)
    for index, (role, token) in enumerate(sorted(tokens.items())):
        if len(generated) == 1 and real is not None:
            # Half the roles aim at a real object of the rep, so the handlers run past the 404.
            (name,) = generated
            case.path_parameters = {name: real if index % 2 else generated[name]}
        response = case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
        assert response.status_code < 500, (role, case.method, case.formatted_path, REPLAY)
    anonymous = case.call_and_validate(checks=[not_a_server_error])
    if case.path not in ("/api/auth/token/", "/api/schema/"):
        # 401, unless the generated id makes a URL that does not exist: "0.5" reads as id 0 in format "5", and DRF
        # refuses an unknown format (404) before it looks at credentials.
        expected = 401 if _is_plain_route(case.formatted_path) else 404
        assert anonymous.status_code == expected, (case.method, case.formatted_path, anonymous.status_code, REPLAY)


def _is_plain_route(path: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        return "format" not in resolve(path).kwargs
    except Resolver404:
        return False
