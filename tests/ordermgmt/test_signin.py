import pytest

from tests.ordermgmt.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_integration_accounts_cannot_use_the_web_sign_in(client):
    UserFactory(username="feed-bot", role="integration")
    response = client.post("/login/", {"username": "feed-bot", "password": PASSWORD})
    assert response.status_code == 200
    assert "API tokens" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_people_sign_in(client):
    UserFactory(username="ann", role="specialist")
    response = client.post("/login/", {"username": "ann", "password": PASSWORD})
    assert response.status_code == 302
