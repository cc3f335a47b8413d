"""Reconciliation rules, re-runs, the single-run lock, fixes and undo, on PostgreSQL."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from ordermgmt.exceptions import Conflict, InvalidTransition
from ordermgmt.models import Opportunity
from subscriptions import services
from subscriptions.models import Discrepancy, ReconciliationRun
from tests.factories import ManagerFactory, SpecialistFactory

from .factories import InvoiceFactory, RenewalFactory, SubscriptionFactory, WonFactory, renewed_subscription

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 2)


def run(kind="renewals", **kwargs):
    kwargs.setdefault("as_of", AS_OF)
    created = services.reconciliation_run_create(kind=kind, enqueue=False, **kwargs)
    return services.reconciliation_run_execute(run_id=created.pk)


def findings(kind=None):
    qs = Discrepancy.objects.filter(status=Discrepancy.Status.OPEN)
    if kind:
        qs = qs.filter(kind=kind)
    return {(d.kind, d.subscription_id, d.opportunity_id, d.invoice_id) for d in qs}


@pytest.fixture
def renewal_world():
    """One planted finding of each renewal kind, next to what must not be reported."""
    clean_sub, clean_opp = renewed_subscription()
    missing = SubscriptionFactory()
    SubscriptionFactory(status="cancelled")  # not current: no renewal expected
    SubscriptionFactory(term_start=date(2025, 1, 1), term_end=date(2025, 12, 31))  # ended before as_of
    orphan = RenewalFactory()
    RenewalFactory(stage=Opportunity.Stage.CLOSED_LOST)  # closed lost without subscription: fine
    dup_sub, keeper = renewed_subscription()
    duplicate = RenewalFactory(subscription=dup_sub)
    RenewalFactory(subscription=dup_sub, stage=Opportunity.Stage.DUPLICATE)  # already marked: ignored
    arr_sub = SubscriptionFactory(carr=Decimal("50000.00"))
    arr_opp = RenewalFactory(subscription=arr_sub, arr_basis=Decimal("45000.00"))
    start_sub = SubscriptionFactory()
    start_opp = RenewalFactory(subscription=start_sub, start_date=date(2026, 12, 15))
    reset_sub = SubscriptionFactory(exception="contract_reset", exception_reason="Reset at upgrade", carr=Decimal("9"))
    RenewalFactory(subscription=reset_sub, arr_basis=Decimal("1"), start_date=date(2027, 3, 1))  # suppressed
    won_sub = SubscriptionFactory()
    RenewalFactory(subscription=won_sub, stage=Opportunity.Stage.CLOSED_WON, arr_basis=Decimal("1"))  # booked
    return {
        "clean": (clean_sub, clean_opp),
        "expected": {
            ("missing_renewal", missing.pk, None, None),
            ("orphan_renewal", None, orphan.pk, None),
            ("duplicate_renewal", dup_sub.pk, duplicate.pk, None),
            ("arr_basis_mismatch", arr_sub.pk, arr_opp.pk, None),
            ("start_date_mismatch", start_sub.pk, start_opp.pk, None),
        },
        "keeper": keeper,
        "missing": missing,
        "arr_opp": arr_opp,
        "start_opp": start_opp,
        "duplicate": duplicate,
    }


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
    InvoiceFactory(net_arr=None)  # billing sent no Net ARR: nothing to compare

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


# --- fixes ---------------------------------------------------------------------------------------------------------


def apply(kind, actor):
    discrepancy = Discrepancy.objects.get(kind=kind)
    services.discrepancy_apply(discrepancy_ids=[discrepancy.pk], actor=actor)
    discrepancy.refresh_from_db()
    return discrepancy


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
    assert list(start_opp.events.values_list("action", flat=True)) == ["reconciliation_fixed", "reconciliation_undone"]


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
    assert Opportunity.objects.filter(subscription=renewal_world["missing"]).count() == 1

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


def test_net_arr_fix_takes_the_invoice_value():
    invoice = InvoiceFactory(net_arr=Decimal("10000.00"))
    run("bookings", month="2026-10")

    apply("net_arr_mismatch", ManagerFactory())

    assert Opportunity.objects.get(pk=invoice.opportunity_id).net_arr == Decimal("10000.00")


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
