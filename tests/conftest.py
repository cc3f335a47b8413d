import pytest
from rest_framework.test import APIClient

from tests.ordermgmt.factories import BillingFactory, ManagerFactory, RepFactory, SpecialistFactory, region

pytest_plugins = ["tests.browser"]  # the Playwright fixtures: chromium, browser_as, screenshot


@pytest.fixture(autouse=True)
def _regions(request):
    """Transactional tests flush the database, data migrations included: make sure the seeded regions exist."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server", "celery_worker")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
    elif marker is not None or "db" in request.fixturenames:
        request.getfixturevalue("db")
    else:
        return
    import importlib

    from django.apps import apps

    importlib.import_module("ordermgmt.migrations.0003_seed_regions").seed(apps, None)


@pytest.fixture(autouse=True)
def _fresh_region_calendars():
    """Each test sees its own regions and closures, not a previous test's per-process calendar cache."""
    from approvals.selectors import region_calendars_clear

    region_calendars_clear()


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


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker process on real Redis, against the test database; stopped after the test."""
    from tests.celery_support import Worker, flush_broker

    flush_broker()
    worker = Worker()
    yield worker
    worker.stop()
