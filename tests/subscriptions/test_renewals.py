"""Renewal reconciliation, continued: Closed Won renewals whose subscription was not renewed, runs and filters per
region, and the missing-renewal fix the run applies by itself when RECONCILIATION_AUTO_APPLY_KINDS says so."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from ordermgmt.models import Opportunity
from subscriptions.models import Discrepancy, ReconciliationRun
from tests.ordermgmt.factories import AccountFactory, OpportunityFactory, RepFactory, region

from .factories import RenewalFactory, SubscriptionFactory, findings, renewed_subscription, run

pytestmark = pytest.mark.django_db


def won_renewal(sub, **kwargs) -> Opportunity:
    """The subscription's renewal, booked on 2026-10-20 unless said (starting when the current term ends)."""
    kwargs.setdefault("close_date", date(2026, 10, 20))
    return RenewalFactory(
        subscription=sub,
        stage=Opportunity.Stage.CLOSED_WON,
        approval_status=Opportunity.ApprovalStatus.CLOSED_WON,
        **kwargs,
    )


AFTER_RENEWAL = date(2026, 12, 7)  # the renewed terms below start on 2026-11-30


def test_a_closed_won_renewal_whose_subscription_still_shows_the_old_term_is_a_finding():
    # given: term 2025-12-01..2026-11-30, renewal won on 2026-10-20 for 2026-11-30..2027-11-29, billing not updated
    stale = SubscriptionFactory()
    stale_renewal = won_renewal(stale, start_date=date(2026, 11, 30), end_date=date(2027, 11, 29))
    # billing moved this one's term on: 2026-11-30..2027-11-29 ends after the renewal starts
    moved = SubscriptionFactory(term_start=date(2026, 11, 30), term_end=date(2027, 11, 29))
    won_renewal(moved, start_date=date(2026, 11, 30))
    # won early: the renewed term starts on 2026-12-15, after the as-of day, so the old term is still right
    early = SubscriptionFactory(term_start=date(2025, 12, 16), term_end=date(2026, 12, 15))
    won_renewal(early)
    # won after the as-of day: not yet expected to show
    won_renewal(SubscriptionFactory(), close_date=date(2026, 12, 10))
    # cancelled subscription: nothing to renew
    won_renewal(SubscriptionFactory(status="cancelled"))

    # when
    result = run(as_of=AFTER_RENEWAL)

    # then
    assert findings("term_not_renewed") == {("term_not_renewed", stale.pk, stale_renewal.pk, None)}
    found = Discrepancy.objects.get(kind="term_not_renewed")
    assert found.expected == {"term_start": "2026-11-30", "term_end": "2027-11-29"}
    assert found.actual == {"term_start": "2025-12-01", "term_end": "2026-11-30"}
    assert found.proposed_fix["action"] == "manual"
    assert result.counts["term_not_renewed"] == 1
    # a booked renewal is not "corrected": no ARR basis or start date finding on it
    assert {kind for kind, *_ in findings()} == {"term_not_renewed"}


def test_the_finding_closes_when_billing_applies_the_renewed_term():
    sub = SubscriptionFactory()
    won_renewal(sub)
    run(as_of=AFTER_RENEWAL)

    sub.term_start, sub.term_end = date(2026, 11, 30), date(2027, 11, 29)
    sub.save()
    second = run(as_of=AFTER_RENEWAL)

    assert Discrepancy.objects.get().status == Discrepancy.Status.RESOLVED
    assert second.counts["resolved_upstream"] == 1


def emea_account():
    return AccountFactory(region=region("EMEA"))


def test_a_region_run_finds_and_closes_only_that_regions_findings():
    # given: a subscription without renewal in AMER and one in EMEA
    amer = SubscriptionFactory()
    emea = SubscriptionFactory(account=emea_account())

    # when / then: an EMEA run finds only EMEA's
    emea_run = run(region="EMEA")
    assert emea_run.region_id == "EMEA"
    assert findings() == {("missing_renewal", emea.pk, None, None)}

    # an all-regions run finds both; the EMEA one keeps its row
    run()
    assert findings() == {("missing_renewal", emea.pk, None, None), ("missing_renewal", amer.pk, None, None)}

    # EMEA's renewal appears; an AMER run must not close EMEA's finding, an EMEA run does
    RenewalFactory(subscription=emea, account=emea.account, region=region("EMEA"), owner=RepFactory())
    run(region="AMER")
    assert findings() == {("missing_renewal", emea.pk, None, None), ("missing_renewal", amer.pk, None, None)}
    run(region="EMEA")
    assert findings() == {("missing_renewal", amer.pk, None, None)}


def test_a_region_is_the_opportunitys_else_the_customers():
    # an AMER customer's renewal worked by EMEA: the finding belongs to EMEA (where the opportunity is)
    sub = SubscriptionFactory(carr=Decimal("500.00"))
    emea_renewal = RenewalFactory(subscription=sub, arr_basis=Decimal("400.00"), region=region("EMEA"))

    run(region="AMER")
    assert not findings()
    run(region="EMEA")
    assert findings() == {("arr_basis_mismatch", sub.pk, emea_renewal.pk, None)}


def test_run_api_takes_a_region_and_discrepancies_filter_by_region(as_user, manager):
    SubscriptionFactory()
    emea = SubscriptionFactory(account=emea_account())
    run()
    client = as_user(manager)

    started = client.post("/api/reconciliation/runs/", {"kind": "bookings", "region": "APAC"}, format="json")
    bad = client.post("/api/reconciliation/runs/", {"kind": "renewals", "region": "MARS"}, format="json")
    emea_only = client.get("/api/reconciliation/discrepancies/", {"region": "EMEA"})
    everything = client.get("/api/reconciliation/discrepancies/")
    apac_runs = client.get("/api/reconciliation/runs/", {"region": "APAC"})

    assert started.status_code == 202, started.data
    assert started.data["region"] == "APAC"
    assert bad.status_code == 400
    assert "region" in bad.data
    assert [d["subscription"] for d in emea_only.data["results"]] == [emea.pk]
    assert len(everything.data["results"]) == 2
    assert [r["id"] for r in apac_runs.data["results"]] == [started.data["id"]]


def test_commands_and_page_take_a_region(client, manager):
    SubscriptionFactory(account=emea_account())
    SubscriptionFactory()

    call_command("reconcile_renewals", "--as-of", "2026-11-02", "--region", "EMEA", stdout=StringIO())
    call_command("reconcile_bookings", "--month", "2026-10", "--region", "APAC", stdout=StringIO())
    client.force_login(manager)
    client.post("/reconciliation/runs/start/", {"kind": "renewals", "region": "AMER"})
    page = client.get("/reconciliation/").content.decode()
    listed = client.get("/reconciliation/discrepancies/", {"region": "EMEA", "status": "open"}).content.decode()

    assert list(ReconciliationRun.objects.order_by("pk").values_list("kind", "region")) == [
        ("renewals", "EMEA"),
        ("bookings", "APAC"),
        ("renewals", "AMER"),
    ]
    assert Discrepancy.objects.get().subscription.account.region_id == "EMEA"
    assert '<option value="EMEA">' in page
    assert 'name="region"' in listed
    assert "Missing renewal" in listed


def test_missing_renewal_is_left_for_a_specialist_when_auto_fix_is_off(settings):
    # given: the default of the test settings, and RECONCILIATION_AUTO_APPLY_KINDS without missing_renewal
    settings.RECONCILIATION_AUTO_APPLY_KINDS = ["arr_basis_mismatch", "start_date_mismatch"]
    sub = SubscriptionFactory()

    result = run()

    assert findings() == {("missing_renewal", sub.pk, None, None)}
    assert "auto_applied" not in result.counts
    assert not Opportunity.objects.filter(subscription=sub).exists()


def test_missing_renewal_is_created_by_the_run_when_auto_fix_is_on(settings):
    # given: auto-fix turned on for missing renewals; the customer's last deal was sold by `rep`
    settings.RECONCILIATION_AUTO_APPLY_KINDS = ["missing_renewal"]
    sub = SubscriptionFactory(carr=Decimal("24000.00"))
    rep = RepFactory()
    OpportunityFactory(account=sub.account, owner=rep, stage=Opportunity.Stage.CLOSED_WON)
    nobody = SubscriptionFactory()  # a customer with no deal: nobody to own the renewal

    # when
    result = run()

    # then: the renewal exists (ARR basis = CARR, start = term end, owned by the customer's rep), audited as the system
    discrepancy = Discrepancy.objects.get(subscription=sub)
    assert discrepancy.status == Discrepancy.Status.FIXED
    assert discrepancy.resolved_by is None
    renewal = Opportunity.objects.get(pk=discrepancy.applied_changes["created_opportunity"])
    assert (renewal.type, renewal.subscription_id, renewal.owner_id) == ("renewal", sub.pk, rep.pk)
    assert (renewal.arr_basis, renewal.start_date) == (Decimal("24000.00"), date(2026, 11, 30))
    assert renewal.events.filter(action="reconciliation_created", actor=None).exists()
    # the other one stays open for a specialist, and the run still finishes
    assert findings() == {("missing_renewal", nobody.pk, None, None)}
    assert result.status == ReconciliationRun.Status.DONE
    assert result.counts["auto_applied"] == 1
    # a second run finds the created renewal clean
    assert run().counts["missing_renewal"] == 1


def test_a_clean_pair_in_another_region_is_not_reported():
    renewed_subscription(account=emea_account())

    assert run(region="EMEA").counts == {
        "missing_renewal": 0,
        "orphan_renewal": 0,
        "duplicate_renewal": 0,
        "arr_basis_mismatch": 0,
        "start_date_mismatch": 0,
        "term_not_renewed": 0,
        "resolved_upstream": 0,
    }
