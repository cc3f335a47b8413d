"""Reconciliation runs (subscriptions/services/runs.py): the rules' findings, re-runs, the single-run lock,
resuming, giving up, and the fixes a run applies itself. On PostgreSQL."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from ordermgmt.exceptions import Conflict
from ordermgmt.models import Opportunity
from subscriptions import services
from subscriptions.models import Discrepancy, ReconciliationRun

from .factories import AS_OF, InvoiceFactory, RenewalFactory, WonFactory, findings, run

pytestmark = pytest.mark.django_db


def test_renewal_run_reports_exactly_the_planted_findings(renewal_world):
    result = run()

    assert result.status == ReconciliationRun.Status.DONE
    assert result.progress == 100
    assert findings() == renewal_world["expected"]
    assert result.counts == {
        "missing_renewal": 1,
        "orphan_renewal": 1,
        "duplicate_renewal": 1,
        "arr_basis_mismatch": 1,
        "start_date_mismatch": 1,
        "term_not_renewed": 0,
        "resolved_upstream": 0,
    }
    arr = Discrepancy.objects.get(kind="arr_basis_mismatch")
    assert arr.expected == {"arr_basis": "50000.00"}
    assert arr.actual == {"arr_basis": "45000.00"}
    assert arr.proposed_fix == {"action": "set", "field": "arr_basis", "value": "50000.00"}
    dup = Discrepancy.objects.get(kind="duplicate_renewal")
    assert dup.proposed_fix == {"action": "mark_duplicate", "keep": renewal_world["keeper"].pk}


def test_rerun_keeps_the_same_discrepancies_and_their_age(renewal_world):
    with time_machine.travel("2026-11-02 05:00Z", tick=False):
        first = run()
    before = {d.key: (d.pk, d.first_seen_at) for d in Discrepancy.objects.all()}

    with time_machine.travel("2026-11-09 05:00Z", tick=False):
        second = run()

    after = Discrepancy.objects.all()
    assert {d.key: (d.pk, d.first_seen_at) for d in after} == before
    assert all(d.run_id == second.pk and d.first_run_id == first.pk for d in after)
    assert all(d.last_seen_at - d.first_seen_at == timedelta(days=7) for d in after)
    assert Discrepancy.objects.count() == 5


def test_a_finding_that_disappeared_is_closed_as_resolved_upstream(renewal_world):
    run()
    arr_opp = renewal_world["arr_opp"]
    Opportunity.objects.filter(pk=arr_opp.pk).update(arr_basis=Decimal("50000.00"))

    second = run()

    closed = Discrepancy.objects.get(kind="arr_basis_mismatch")
    assert closed.status == Discrepancy.Status.RESOLVED
    assert closed.events.get().action == "resolved"
    assert second.counts["resolved_upstream"] == 1
    assert second.counts["arr_basis_mismatch"] == 0


def test_bookings_run_matches_invoices_and_closed_won_one_to_one():
    clean = InvoiceFactory()  # a clean pair
    lonely_invoice = InvoiceFactory(opportunity=None)
    open_opp = RenewalFactory()
    invoice_for_open = InvoiceFactory(opportunity=open_opp, account=open_opp.account)
    uninvoiced = WonFactory()
    WonFactory(close_date=date(2026, 9, 30))  # September: other month
    twice = WonFactory()
    InvoiceFactory(opportunity=twice)
    InvoiceFactory(opportunity=twice)
    mismatch = InvoiceFactory(net_arr=Decimal("10000.00"))
    InvoiceFactory(net_arr=None)  # no Net ARR from billing: 12,000.00 over 12 months agrees with 12,000.00

    result = run("bookings", month="2026-10")

    assert result.period == "2026-10"
    assert findings() == {
        ("invoice_without_opportunity", None, None, lonely_invoice.pk),
        ("invoice_without_opportunity", None, open_opp.pk, invoice_for_open.pk),
        ("opportunity_without_invoice", None, uninvoiced.pk, None),
        ("multiple_invoices", None, twice.pk, None),
        ("net_arr_mismatch", None, mismatch.opportunity_id, mismatch.pk),
    }
    assert clean.opportunity_id not in {d.opportunity_id for d in Discrepancy.objects.all()}


def test_bookings_runs_of_different_months_do_not_close_each_other():
    WonFactory()
    run("bookings", month="2026-10")

    run("bookings", month="2026-11")

    assert Discrepancy.objects.get().status == Discrepancy.Status.OPEN


def test_bookings_month_defaults_to_the_month_before_as_of():
    created = services.reconciliation_run_create(kind="bookings", as_of=date(2026, 11, 5), enqueue=False)
    assert created.period == "2026-10"


def test_only_one_run_of_a_kind_at_a_time():
    first = services.reconciliation_run_create(kind="renewals", enqueue=False)

    with pytest.raises(Conflict) as exc:
        services.reconciliation_run_create(kind="renewals", enqueue=False)

    assert exc.value.extra["run"]["id"] == first.pk
    services.reconciliation_run_create(kind="bookings", enqueue=False)  # another kind may run
    assert ReconciliationRun.objects.count() == 2


def test_a_run_whose_worker_died_is_failed_so_a_new_one_can_start():
    dead = ReconciliationRun.objects.create(kind="renewals", as_of=AS_OF, status="running", attempts=1)

    fresh = services.reconciliation_run_create(kind="renewals", enqueue=False)

    dead.refresh_from_db()
    assert dead.status == ReconciliationRun.Status.FAILED
    assert "lost" in dead.error
    assert fresh.status == ReconciliationRun.Status.QUEUED


def test_a_redelivered_run_is_resumed_and_gives_the_same_result(renewal_world):
    interrupted = ReconciliationRun.objects.create(kind="renewals", as_of=AS_OF, status="running", attempts=1)

    result = services.reconciliation_run_execute(run_id=interrupted.pk)
    services.reconciliation_run_execute(run_id=interrupted.pk)  # a duplicate delivery after it finished

    assert result.status == ReconciliationRun.Status.DONE
    assert result.attempts == 2
    assert findings() == renewal_world["expected"]


def test_a_run_that_keeps_failing_gives_up():
    stuck = ReconciliationRun.objects.create(kind="renewals", as_of=AS_OF, status="running", attempts=3)

    result = services.reconciliation_run_execute(run_id=stuck.pk)

    assert result.status == ReconciliationRun.Status.FAILED
    assert not Discrepancy.objects.exists()


def test_unambiguous_fixes_are_applied_by_the_run_and_the_rest_wait_for_a_specialist(renewal_world, settings):
    # given: ARR basis and start date mismatches are configured as unambiguous
    settings.RECONCILIATION_AUTO_APPLY_KINDS = ["arr_basis_mismatch", "start_date_mismatch"]

    # when
    result = run()

    # then: those two were fixed by the system (no actor) and audited; the other kinds are still open
    fixed = Discrepancy.objects.filter(status=Discrepancy.Status.FIXED)
    assert {d.kind for d in fixed} == {"arr_basis_mismatch", "start_date_mismatch"}
    assert all(d.resolved_by is None for d in fixed)
    assert result.counts["auto_applied"] == 2
    renewal_world["arr_opp"].refresh_from_db()
    assert renewal_world["arr_opp"].arr_basis == Decimal("50000.00")
    assert {kind for kind, *_ in findings()} == {"missing_renewal", "orphan_renewal", "duplicate_renewal"}
    assert renewal_world["arr_opp"].events.filter(action="reconciliation_fixed", actor=None).exists()
