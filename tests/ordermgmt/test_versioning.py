"""/api/v1/ serves the API; the unversioned /api/ paths of API.md are its aliases, answering the same."""

import pytest

from tests.ordermgmt.factories import AccountFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def test_v1_and_its_unversioned_alias_answer_the_same(as_user, rep):
    opp = OpportunityFactory(owner=rep)
    client = as_user(rep)

    for path in ("opportunities/", f"opportunities/{opp.pk}/", f"opportunities/{opp.pk}/history/", "regions/"):
        versioned, alias = client.get(f"/api/v1/{path}"), client.get(f"/api/{path}")
        assert (versioned.status_code, alias.status_code) == (200, 200), path
        assert versioned.json() == alias.json(), path


def test_writes_work_under_v1_and_links_keep_the_version(as_user, rep):
    created = as_user(rep).post("/api/v1/accounts/", {"name": "V1 Co", "region": "AMER", "country": "US"})
    AccountFactory.create_batch(2)

    page = as_user(rep).get("/api/v1/accounts/?page_size=1").json()

    assert created.status_code == 201
    assert page["next"].startswith("http://testserver/api/v1/accounts/")
    assert as_user(rep).get("/api/v1/opportunities/999999999/").json()["code"] == "not_found"


def test_token_sign_in_works_on_both_paths(api, rep):
    from tests.ordermgmt.factories import PASSWORD

    for path in ("/api/v1/auth/token/", "/api/auth/token/"):
        response = api.post(path, {"username": rep.username, "password": PASSWORD})
        assert response.status_code == 200, response.content
        assert response.json()["token"]


def test_each_schema_lists_every_operation_once_under_its_prefix(api):
    unversioned = api.get("/api/schema/?format=json").json()["paths"]
    v1 = api.get("/api/v1/schema/?format=json").json()["paths"]

    assert not [path for path in unversioned if path.startswith("/api/v1/")]
    assert all(path.startswith("/api/v1/") for path in v1)
    assert {path.replace("/api/v1/", "/api/", 1) for path in v1} == set(unversioned)
    ids = [op["operationId"] for item in v1.values() for op in item.values() if isinstance(op, dict)]
    assert len(ids) == len(set(ids))
