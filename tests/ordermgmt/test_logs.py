"""Structured logs: JSON lines with time, level, logger, message, the request's id and the user's id."""

import io
import json
import logging

import pytest
from django.test import Client
from pythonjsonlogger.json import JsonFormatter

from ordermgmt.logs import RequestContextFilter
from ordermgmt.models import ApiToken
from ordermgmt.services import api_token_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    """The JSON lines the settings' console handler would print, captured from the root logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(RequestContextFilter())
    logging.getLogger().addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging.getLogger().removeHandler(handler)


def test_a_requests_log_lines_carry_its_id_and_the_users(rep, json_lines):
    token, _ = api_token_issue(user=rep)
    client = Client()
    client.force_login(rep)

    response = client.post(f"/tokens/{token.pk}/revoke/", HTTP_X_REQUEST_ID="proxy-id-12345678")

    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert response["X-Request-ID"] == "proxy-id-12345678"
    [line] = [line for line in json_lines() if line["logger"] == "ordermgmt.services.people"]
    assert line["request_id"] == "proxy-id-12345678"
    assert line["user_id"] == rep.pk
    assert line["level"] == "INFO"
    assert {"time", "message"} <= set(line)


def test_an_unusable_request_id_is_replaced_and_outside_a_request_the_fields_are_null(json_lines):
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="<script>")
    assert response["X-Request-ID"] != "<script>"
    assert len(response["X-Request-ID"]) == 32

    logging.getLogger("ordermgmt").warning("a background job's line")
    line = json_lines()[-1]
    assert (line["request_id"], line["user_id"]) == (None, None)
