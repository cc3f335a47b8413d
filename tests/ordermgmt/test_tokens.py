"""API tokens: hashed at rest, expiring (but an integration's), listed, rotated and revoked by owner or manager."""

import importlib
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ordermgmt.models import ApiToken, User
from ordermgmt.services import api_token_issue
from tests.ordermgmt.factories import PASSWORD, ManagerFactory, RepFactory, UserFactory

pytestmark = pytest.mark.django_db


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_a_signed_in_token_works_expires_after_30_days_and_is_stored_only_hashed():
    rep = RepFactory()
    response = APIClient().post("/api/auth/token/", {"username": rep.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    plain = response.json()["token"]

    stored = ApiToken.objects.get(user=rep)
    assert plain not in {stored.digest, stored.token_key, stored.name}
    assert plain.startswith(stored.token_key)
    assert timedelta(days=29, hours=23) < stored.expiry - timezone.now() <= timedelta(days=30)
    assert with_token(plain).get("/api/opportunities/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert with_token(plain).get("/api/opportunities/").status_code == 401


def test_wrong_password_gets_400_and_no_token():
    rep = RepFactory()
    response = APIClient().post("/api/auth/token/", {"username": rep.username, "password": "nope"}, format="json")
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_an_integration_token_never_expires():
    integration = UserFactory(role=User.Role.INTEGRATION)
    token, _plain = api_token_issue(user=integration, name="Billing sync")
    assert token.expiry is None


def test_owners_list_their_own_tokens_and_managers_list_everyones_without_the_secret():
    rep, other, manager = RepFactory(), RepFactory(), ManagerFactory()
    _, mine = api_token_issue(user=rep, name="laptop")
    theirs, _ = api_token_issue(user=other, name="script")

    listed = with_token(mine).get("/api/auth/tokens/").json()["results"]
    assert [t["name"] for t in listed] == ["laptop"]
    assert "token" not in listed[0]
    assert with_token(mine).delete(f"/api/auth/tokens/{theirs.pk}/").status_code == 404
    everyone = with_token(api_token_issue(user=manager)[1]).get("/api/auth/tokens/").json()["results"]
    assert {t["username"] for t in everyone} == {rep.username, other.username, manager.username}


def test_revoking_a_token_makes_it_401_at_once():
    rep, manager = RepFactory(), ManagerFactory()
    token, plain = api_token_issue(user=rep)
    assert with_token(api_token_issue(user=manager)[1]).delete(f"/api/auth/tokens/{token.pk}/").status_code == 204
    assert with_token(plain).get("/api/opportunities/").status_code == 401


def test_rotating_replaces_the_token_and_shows_the_new_one_once():
    integration = UserFactory(role=User.Role.INTEGRATION)
    token, old = api_token_issue(user=integration, name="Licensing feed")
    response = with_token(old).post(f"/api/auth/tokens/{token.pk}/rotate/")
    assert response.status_code == 200
    new = response.json()["token"]
    assert response.json()["name"] == "Licensing feed"
    assert response.json()["expiry"] is None
    assert with_token(old).get("/api/auth/tokens/").status_code == 401
    assert with_token(new).get("/api/auth/tokens/").status_code == 200


def test_a_named_token_is_created_for_oneself():
    rep = RepFactory()
    response = with_token(api_token_issue(user=rep)[1]).post("/api/auth/tokens/", {"name": "CI"}, format="json")
    assert response.status_code == 201
    assert ApiToken.objects.get(pk=response.json()["id"]).user == rep
    assert with_token(response.json()["token"]).get("/api/auth/tokens/").status_code == 200


def test_plain_drf_tokens_are_migrated_to_hashed_ones_that_still_work():
    rep = RepFactory()
    key = Token.objects.create(user=rep).key
    migration = importlib.import_module("ordermgmt.migrations.0005_api_token")

    migration.hash_plain_tokens(apps, None)

    assert not Token.objects.exists()
    migrated = ApiToken.objects.get(user=rep)
    assert migrated.digest != key
    assert with_token(key).get("/api/opportunities/").status_code == 200


def test_the_tokens_page_shows_a_new_token_once_and_revokes_only_what_you_may():
    from django.test import Client

    rep, other = RepFactory(), RepFactory()
    theirs, _ = api_token_issue(user=other)
    client = Client()
    client.force_login(rep)

    created = client.post("/tokens/", {"name": "Laptop"})
    plain = created.context["issued"][1]
    assert plain in created.content.decode()
    listing = client.get("/tokens/").content.decode()
    assert "Laptop" in listing
    assert plain not in listing
    assert client.post(f"/tokens/{theirs.pk}/revoke/").status_code == 404
    mine = ApiToken.objects.get(user=rep)
    assert client.post(f"/tokens/{mine.pk}/revoke/").status_code == 302
    assert not ApiToken.objects.filter(user=rep).exists()
    assert ApiToken.objects.filter(pk=theirs.pk).exists()
