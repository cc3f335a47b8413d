"""What a fix changes on the opportunity records and how it is undone (subscriptions/services/fixes.py), through
the decisions that apply and undo it. On PostgreSQL."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ordermgmt.exceptions import Conflict
from ordermgmt.models import Opportunity
from subscriptions import services
from subscriptions.models import Discrepancy
from tests.ordermgmt.factories import ManagerFactory, SpecialistFactory

from .factories import InvoiceFactory, apply, findings, run

pytestmark = pytest.mark.django_db


def test_applying_every_renewal_fix_leaves_nothing_to_report(renewal_world):
    run()
    specialist = SpecialistFactory()

    services.discrepancy_apply(
        discrepancy_ids=list(Discrepancy.objects.exclude(kind="orphan_renewal").values_list("pk", flat=True)),
        actor=specialist,
    )

    second = run()
    assert findings() == {k for k in renewal_world["expected"] if k[0] == "orphan_renewal"}
    assert second.counts["resolved_upstream"] == 0  # fixed ones are closed already, not "resolved upstream"
    assert Discrepancy.objects.filter(status="fixed").count() == 4
    renewal = Opportunity.objects.get(subscription=renewal_world["missing"], type="renewal")
    assert (renewal.arr_basis, renewal.start_date, renewal.owner) == (
        Decimal("12000.00"),
        date(2026, 11, 30),
        specialist,
    )
    duplicate = Opportunity.objects.get(pk=renewal_world["duplicate"].pk)
    assert (duplicate.stage, duplicate.subscription_id) == ("10-duplicate", None)
    assert duplicate.events.get().action == "reconciliation_fixed"


def test_apply_is_audited_and_undo_restores_the_opportunity(renewal_world):
    run()
    manager = ManagerFactory()
    start_opp = renewal_world["start_opp"]

    fixed = apply("start_date_mismatch", manager)
    start_opp.refresh_from_db()
    assert start_opp.start_date == date(2026, 11, 30)
    assert fixed.status == "fixed"
    assert fixed.applied_changes["fields"] == {"start_date": ["2026-12-15", "2026-11-30"]}

    services.discrepancy_undo(discrepancy_id=fixed.pk, actor=manager, reason="Wrong call")

    start_opp.refresh_from_db()
    fixed.refresh_from_db()
    assert start_opp.start_date == date(2026, 12, 15)
    assert fixed.status == "open"
    assert list(fixed.events.values_list("action", flat=True)) == ["applied", "undone"]
    assert list(start_opp.events.values_list("action", "changes", "comment")) == [
        (
            "reconciliation_fixed",
            {"start_date": ["2026-12-15", "2026-11-30"]},
            f"Reconciliation: Start date mismatch (discrepancy {fixed.pk}).",
        ),
        (
            "reconciliation_undone",
            {"start_date": ["2026-11-30", "2026-12-15"]},
            f"Reconciliation: Start date mismatch (discrepancy {fixed.pk}).",
        ),
    ]
    assert start_opp.version == 3  # each write bumped it


def test_undo_of_mark_duplicate_reconnects_the_opportunity(renewal_world):
    run()
    manager = ManagerFactory()
    fixed = apply("duplicate_renewal", manager)

    services.discrepancy_undo(discrepancy_id=fixed.pk, actor=manager)

    duplicate = Opportunity.objects.get(pk=renewal_world["duplicate"].pk)
    assert (duplicate.stage, duplicate.subscription_id) == ("1-discovery", fixed.subscription_id)


def test_undo_of_a_created_renewal_removes_it(renewal_world):
    run()
    manager = ManagerFactory()
    fixed = apply("missing_renewal", manager)
    created = Opportunity.objects.get(subscription=renewal_world["missing"])
    assert list(created.events.values_list("action", "actor", "changes", "comment")) == [
        (
            "reconciliation_created",
            manager.pk,
            {"arr_basis": [None, "12000.00"], "start_date": [None, "2026-11-30"]},
            f"Missing renewal of {renewal_world['missing'].name} (discrepancy {fixed.pk}).",
        )
    ]
    assert fixed.applied_changes == {"created_opportunity": created.pk, "version": created.version}

    services.discrepancy_undo(discrepancy_id=fixed.pk, actor=manager)

    assert not Opportunity.objects.filter(subscription=renewal_world["missing"]).exists()


def test_undo_refuses_when_the_opportunity_changed_since_the_fix(renewal_world):
    run()
    manager = ManagerFactory()
    fixed = apply("arr_basis_mismatch", manager)
    Opportunity.objects.filter(pk=renewal_world["arr_opp"].pk).update(arr_basis=Decimal("1"))

    with pytest.raises(Conflict):
        services.discrepancy_undo(discrepancy_id=fixed.pk, actor=manager)

    fixed.refresh_from_db()
    assert fixed.status == "fixed"


def test_a_stale_fix_is_refused_when_the_record_moved_since_the_run(renewal_world):
    run()
    Opportunity.objects.filter(pk=renewal_world["arr_opp"].pk).update(arr_basis=Decimal("47000.00"))

    with pytest.raises(Conflict):
        apply("arr_basis_mismatch", ManagerFactory())

    assert Opportunity.objects.get(pk=renewal_world["arr_opp"].pk).arr_basis == Decimal("47000.00")


def test_an_opportunity_in_approval_is_not_changed_by_a_fix(renewal_world):
    run()
    Opportunity.objects.filter(pk=renewal_world["arr_opp"].pk).update(approval_status="submitted")

    with pytest.raises(Conflict):
        apply("arr_basis_mismatch", ManagerFactory())


def test_net_arr_fix_takes_the_invoice_value_until_the_month_locks():
    invoice = InvoiceFactory(net_arr=Decimal("10000.00"))
    run("bookings", month="2026-10")
    opp = Opportunity.objects.get(pk=invoice.opportunity_id)
    assert opp.close_date.month == 10  # October 2026 locks after 6 November (its 5th business day), Pacific

    locked = datetime(2026, 11, 7, 9, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    with time_machine.travel(locked, tick=False), pytest.raises(Conflict, match="locked"):
        apply("net_arr_mismatch", ManagerFactory())
    with time_machine.travel(datetime(2026, 11, 6, 9, 0, tzinfo=ZoneInfo("America/Los_Angeles")), tick=False):
        apply("net_arr_mismatch", ManagerFactory())

    assert Opportunity.objects.get(pk=invoice.opportunity_id).net_arr == Decimal("10000.00")
