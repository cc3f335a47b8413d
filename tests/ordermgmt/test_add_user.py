"""`manage.py add_user`: create or update a person with a role, through `ordermgmt.services.user_upsert`."""

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
