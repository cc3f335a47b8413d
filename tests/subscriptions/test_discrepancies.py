"""A specialist's decisions on discrepancies (subscriptions/services/discrepancies.py): all-or-none batches,
repeats, accepted exceptions. On PostgreSQL."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ordermgmt.exceptions import Conflict, InvalidTransition
from ordermgmt.models import Opportunity
from subscriptions import services
from subscriptions.models import Discrepancy
from tests.ordermgmt.factories import ManagerFactory

from .factories import apply, run

pytestmark = pytest.mark.django_db


def test_a_batch_is_applied_all_or_nothing(renewal_world):
    run()
    manager = ManagerFactory()
    arr = Discrepancy.objects.get(kind="arr_basis_mismatch")
    orphan = Discrepancy.objects.get(kind="orphan_renewal")  # no automatic fix: the batch must fail

    with pytest.raises(Conflict):
        services.discrepancy_apply(discrepancy_ids=[arr.pk, orphan.pk], actor=manager)

    arr.refresh_from_db()
    assert arr.status == "open"
    assert Opportunity.objects.get(pk=renewal_world["arr_opp"].pk).arr_basis == Decimal("45000.00")


def test_applying_twice_is_a_no_op(renewal_world):
    run()
    manager = ManagerFactory()
    fixed = apply("arr_basis_mismatch", manager)

    services.discrepancy_apply(discrepancy_ids=[fixed.pk], actor=manager)

    assert fixed.events.count() == 1


def test_an_accepted_finding_stays_accepted_across_runs(renewal_world):
    run()
    manager = ManagerFactory()
    accepted = Discrepancy.objects.get(kind="start_date_mismatch")

    services.discrepancy_accept(discrepancy_ids=[accepted.pk], actor=manager, reason="Customer asked for Dec 15")
    run()

    accepted.refresh_from_db()
    assert accepted.status == "accepted"
    assert accepted.reason == "Customer asked for Dec 15"
    assert Discrepancy.objects.filter(kind="start_date_mismatch").count() == 1
    with pytest.raises(InvalidTransition):
        services.discrepancy_apply(discrepancy_ids=[accepted.pk], actor=manager)


def test_accept_needs_a_reason(renewal_world):
    run()
    with pytest.raises(ValidationError):
        services.discrepancy_accept(
            discrepancy_ids=[Discrepancy.objects.first().pk], actor=ManagerFactory(), reason="  "
        )
