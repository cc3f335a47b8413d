import pytest
from rest_framework.test import APIClient

from tests.factories import BillingFactory, ManagerFactory, RepFactory, SpecialistFactory, region


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_user(api):
    """`as_user(user)` -> an APIClient authenticated as `user` (session-less, forced)."""

    def _login(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _login


@pytest.fixture
def rep(db):
    return RepFactory(username="rep_amer")


@pytest.fixture
def other_rep(db):
    return RepFactory(username="rep_amer_other")


@pytest.fixture
def emea_rep(db):
    return RepFactory(username="rep_emea", region=region("EMEA"))


@pytest.fixture
def specialist(db):
    return SpecialistFactory(username="spec_amer")


@pytest.fixture
def emea_specialist(db):
    return SpecialistFactory(username="spec_emea", region=region("EMEA"))


@pytest.fixture
def manager(db):
    return ManagerFactory(username="mgr")


@pytest.fixture
def billing(db):
    return BillingFactory(username="billing")
