"""Token authentication (DRF's): a specialist's token request is scoped to their own and covered regions."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from approvals import services
from ordermgmt.services import api_token_issue
from tests.approvals.test_queue import submit
from tests.ordermgmt.factories import ManagerFactory, RepFactory, SpecialistFactory, region

pytestmark = pytest.mark.django_db
AT = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("America/Los_Angeles"))


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=user)[1]}")
    return client


def queued(client, query="") -> set[int]:
    response = client.get(f"/api/queue/{query}")
    assert response.status_code == 200, response.content
    return {row["opportunity"] for row in response.json()["results"]}


def test_a_specialists_token_request_reads_their_covered_regions_once():
    amer, emea = submit(at=AT), submit(at=AT, rep=RepFactory(region=region("EMEA")))
    apac = submit(at=AT, rep=RepFactory(region=region("APAC")))
    spec = SpecialistFactory(region=region("AMER"))
    spec.covered_regions.add(region("EMEA"))
    client = token_client(spec)
    with CaptureQueriesContext(connection) as ctx:
        assert queued(client) == {amer.pk, emea.pk}
    coverage_reads = [q["sql"] for q in ctx.captured_queries if "ordermgmt_user_covered_regions" in q["sql"]]
    assert len(coverage_reads) == 1  # scope and permission checks share one read per request
    # A covered region's item opens too (object scope), and an uncovered one is 404.
    assert client.get(f"/api/opportunities/{emea.pk}/").status_code == 200
    assert client.get(f"/api/opportunities/{apac.pk}/").status_code == 404


def test_a_coverage_change_is_seen_by_the_next_request():
    emea = submit(at=AT, rep=RepFactory(region=region("EMEA")))
    spec = SpecialistFactory(region=region("AMER"))
    client = token_client(spec)
    assert queued(client) == set()
    services.specialist_set_coverage(actor=ManagerFactory(), specialist=spec, regions=["EMEA"])
    assert queued(client) == {emea.pk}
    services.specialist_set_coverage(actor=ManagerFactory(), specialist=spec, regions=[])
    assert queued(client) == set()
    assert client.get(f"/api/opportunities/{emea.pk}/").status_code == 404


def test_bad_and_inactive_tokens_get_drfs_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = client.get("/api/queue/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token.", "code": "authentication_failed"}
    assert response["WWW-Authenticate"] == "Token"

    spec = SpecialistFactory()
    client = token_client(spec)
    spec.is_active = False
    spec.save(update_fields=["is_active"])
    response = client.get("/api/queue/")
    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted.", "code": "authentication_failed"}


def test_a_rep_and_a_manager_authenticate_the_same_way():
    rep = RepFactory()
    mine = submit(at=AT, rep=rep)
    submit(at=AT)
    assert token_client(rep).get(f"/api/opportunities/{mine.pk}/").status_code == 200
    assert len(queued(token_client(ManagerFactory()))) == 2


def test_a_key_is_a_parameter_not_sql():
    api_token_issue(user=RepFactory())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token x'OR'1'='1'--")  # no spaces: it reaches the lookup
    response = client.get("/api/queue/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token.", "code": "authentication_failed"}
