"""`manage.py add_user`: create or update a person with a role (`ordermgmt.services.user_upsert`) and their case
teams."""

import pytest
from django.core.management import CommandError, call_command

from ordermgmt.models import User

pytestmark = pytest.mark.django_db


def test_creates_then_updates_a_user_with_role_region_and_password():
    call_command("add_user", "alice", role="specialist", region="EMEA", password="a-long-pass-2026")
    alice = User.objects.get(username="alice")
    assert (alice.role, alice.region_id, alice.is_superuser) == ("specialist", "EMEA", False)
    assert alice.check_password("a-long-pass-2026")

    call_command("add_user", "alice", role="manager", password="another-pass-2026", superuser=True)
    alice.refresh_from_db()
    assert (alice.role, alice.region_id, alice.is_superuser, alice.is_staff) == ("manager", None, True, True)
    assert alice.check_password("another-pass-2026")
    assert User.objects.filter(username="alice").count() == 1


def test_a_regional_role_needs_a_region():
    with pytest.raises(CommandError, match="--region is required"):
        call_command("add_user", "bob", role="sales_rep", password="a-long-pass-2026")
    assert not User.objects.filter(username="bob").exists()


def test_a_role_brings_its_team_and_team_adds_more(client):
    from cases.models import Team

    call_command("add_user", "dana", role="deal_desk", password="a-long-pass-2026", team=["renewal_ops"])
    dana = User.objects.get(username="dana")
    assert set(Team.objects.of(dana).values_list("code", flat=True)) == {"deal_desk", "renewal_ops"}
    client.force_login(dana)
    assert client.get("/cases/queue/deal_desk/").status_code == 200  # at once, no admin step
    assert client.get("/cases/queue/billing_ops/").status_code == 403

    with pytest.raises(CommandError, match="nope"):
        call_command("add_user", "dana", role="deal_desk", password="a-long-pass-2026", team=["nope"])
