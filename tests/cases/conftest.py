import importlib

import pytest

from cases.models import Team
from ordermgmt.models import User
from tests.ordermgmt.factories import OpportunityFactory, RepFactory, UserFactory


@pytest.fixture(autouse=True)
def _teams(request, _regions):
    """Transactional tests flush the seeded teams and request types with the rest: seed them again (idempotent)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not {"db", "transactional_db", "live_server"} & set(request.fixturenames):
        return
    from django.apps import apps

    importlib.import_module("cases.migrations.0002_seed_teams").seed(apps, None)

    importlib.import_module("cases.migrations.0003_team_member_role").set_team_roles(apps, None)


def team(code: str = "deal_desk") -> Team:
    return Team.objects.get(code=code)


def member(code: str = "deal_desk", **kwargs) -> User:
    """A user of the team: with the team's own role (a member by role), also added by name."""
    kwargs.setdefault("role", team(code).member_role or User.Role.DEAL_DESK)
    user = UserFactory(**kwargs)
    team(code).members.add(user)
    return user


@pytest.fixture
def dd_user(db):
    return member(username="dd_one")


@pytest.fixture
def dd_other(db):
    return member(username="dd_two")


@pytest.fixture
def opp(db):
    return OpportunityFactory(owner=RepFactory(username="rep_owner"))
