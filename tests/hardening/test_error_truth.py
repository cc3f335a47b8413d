"""Errors tell the truth: a bad cursor is the client's (400), a lost connection is an outage (503), any other
database error is ours (500 with an error id that the log line carries too), never the other way round."""

from __future__ import annotations

import base64
import json
import logging

import pytest
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.test import Client
from rest_framework.test import APIClient

from approvals import selectors as approval_selectors
from approvals.api import views as approval_api_views
from ordermgmt.database import is_connection_error
from tests.ordermgmt.factories import RepFactory, SpecialistFactory

pytestmark = pytest.mark.django_db


def _broken_query(**kwargs):
    """A real error from PostgreSQL for a statement that is wrong (a bug), not for a lost connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM ordermgmt_opportunity")


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        _cursor([1, 2]),  # the wrong number of keys
        _cursor([True, "not-a-date", 1, "2026-01-01T00:00:00Z", 1]),
        _cursor([True, "2026-01-01", "NaN", "2026-01-01T00:00:00Z", 1]),
        _cursor([True, "2026-01-01", 1, "2026-01-01T00:00:00Z", "x\u0000"]),
    ],
)
def test_a_tampered_queue_cursor_is_a_400_naming_the_cursor(cursor):
    response = _api(SpecialistFactory()).get("/api/queue/", {"cursor": cursor})
    assert response.status_code == 400, response.content
    assert "cursor" in response.json()


def test_a_database_error_that_is_not_an_outage_answers_500_with_a_logged_error_id(monkeypatch, caplog):
    monkeypatch.setattr(approval_selectors, "opportunity_list", _broken_query)
    assert approval_api_views.selectors is approval_selectors
    with caplog.at_level(logging.ERROR, logger="ordermgmt.api.exception_handler"):
        response = _api(RepFactory()).get("/api/opportunities/", HTTP_X_REQUEST_ID="report-me-12345")

    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "server_error"
    assert body["error_id"] == "report-me-12345" == response["X-Request-ID"]
    assert "report-me-12345" in body["detail"]
    logged = [r for r in caplog.records if getattr(r, "error_id", None) == "report-me-12345"]
    assert logged
    assert logged[0].exc_info is not None  # the traceback is in the log, under the same id


def test_a_page_with_a_database_bug_shows_the_500_page_with_its_error_id_not_the_503_page(monkeypatch):
    monkeypatch.setattr(approval_selectors, "opportunity_list", _broken_query)
    client = Client(raise_request_exception=False)
    client.force_login(RepFactory())
    response = client.get("/opportunities/", HTTP_X_REQUEST_ID="page-error-67890")

    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong (500)" in page
    assert 'data-testid="error-id">page-error-67890<' in page
    assert "database is unavailable" not in page


def _raised(error: Exception, cause: Exception | None) -> Exception:
    try:
        raise error from cause
    except Exception as exc:  # noqa: BLE001 - the raised object, with its __cause__ set as Django's wrapper sets it
        return exc


class _PgError(Exception):
    """Stands for a psycopg error: what matters is its module and its SQLSTATE."""

    __module__ = "psycopg2.errors"

    def __init__(self, pgcode):
        super().__init__(pgcode)
        self.pgcode = pgcode


@pytest.mark.parametrize(
    ("error", "cause", "outage"),
    [
        (InterfaceError("connection already closed"), None, True),
        (OperationalError("server closed the connection unexpectedly"), _PgError(None), True),
        (OperationalError("terminating connection due to administrator command"), _PgError("57P01"), True),
        (OperationalError("could not connect"), _PgError("08006"), True),
        (OperationalError("too many clients"), _PgError("53300"), True),
        (OperationalError("canceling statement due to statement timeout"), _PgError("57014"), False),
        (OperationalError("deadlock detected"), _PgError("40P01"), False),
        (DatabaseError("column does not exist"), _PgError("42703"), False),
        (OperationalError("database is locked"), None, True),  # SQLite: another writer holds the file
        (OperationalError("no such table: ordermgmt_opportunity"), None, False),  # SQLite: a bug
    ],
)
def test_only_connection_errors_count_as_an_outage(error, cause, outage):
    assert is_connection_error(_raised(error, cause)) is outage
