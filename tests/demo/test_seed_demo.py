"""`manage.py seed_demo`: the demo data it loads, and that it loads what the owning apps' rules and services say.

Seeded at a small --scale to keep the tests fast; `tests/ordermgmt/test_embedded.py` runs it at full size on SQLite.
"""

from __future__ import annotations

import io
import random
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction

from approvals import services
from approvals.models import Decision, Submission
from approvals.requirements import Deal, unmet
from approvals.sla import held_until, sla_times
from demo.history import BILLING, OM, History, booked_on
from demo.people import BACKUPS, DEMO_PASSWORD, DEMO_USERS
from ordermgmt.models import Document, Opportunity, OpportunityEvent, User
from ordermgmt.selectors import opportunity_loaded
from ordermgmt.services import upload_check
from subscriptions.models import Subscription
from tests.ordermgmt.factories import (
    BillingFactory,
    OpportunityFactory,
    SpecialistFactory,
    UserFactory,
    ready_opportunity,
)

pytestmark = pytest.mark.django_db

SCALE = "0.05"  # 50 accounts, 175 opportunities
Stage = Opportunity.Stage
Status = Opportunity.ApprovalStatus


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--scale", SCALE, *args, stdout=out)
    return out.getvalue()


def loaded(**filters) -> list[Opportunity]:
    return list(opportunity_loaded(Opportunity.objects.filter(**filters)).order_by("pk"))


def test_every_demo_login_has_its_role_region_and_the_demo_password():
    seed()

    for username, first, last, role, region, superuser in DEMO_USERS:
        user = User.objects.get(username=username)
        assert (user.get_full_name(), user.role, user.region_id, user.is_superuser) == (
            f"{first} {last}",
            role,
            region,
            superuser,
        )
        assert user.check_password(DEMO_PASSWORD)
    backups = dict(User.objects.filter(backup__isnull=False).values_list("username", "backup__username"))
    assert backups == BACKUPS


def test_scale_sets_the_counts_and_the_summary_reports_them():
    output = seed()

    assert Opportunity.objects.count() == 175
    assert "Seeded demo data (seed 2026, scale 0.05)" in output
    assert "22 users, 50 accounts, " in output
    assert "175 opportunities, 175 quotes, " in output
    assert "Demo logins:" in output
    assert f"rep_amer1         {DEMO_PASSWORD}" in output


def test_opportunities_cover_the_stages_and_approval_statuses_of_the_workflow():
    call_command("seed_demo", "--scale", "0.1", stdout=io.StringIO())

    stages = set(Opportunity.objects.values_list("stage", flat=True))
    statuses = set(Opportunity.objects.values_list("approval_status", flat=True))
    assert {Stage.NEGOTIATING, Stage.AWAITING_SIGNATURE, Stage.CLOSING, Stage.CLOSED_WON, Stage.CLOSED_LOST} <= stages
    assert {Status.DRAFT, Status.SUBMITTED, Status.OM_APPROVED, Status.CLOSED_WON} <= statuses


def test_every_closed_won_and_submitted_deal_meets_every_booking_requirement():
    seed()

    booked = loaded(approval_status__in=[Status.CLOSED_WON, Status.SUBMITTED, Status.OM_APPROVED])

    assert len(booked) > 50
    assert {opp.pk: [r.code for r in unmet(Deal.of(opp))] for opp in booked} == {opp.pk: [] for opp in booked}


def test_the_stage_6_readiness_line_is_what_the_engine_says_of_the_stored_deals():
    output = seed()

    ready_line = re.search(r"stage 6-Awaiting Signature: (\d+) of (\d+) ", output)
    stage6 = loaded(stage=Stage.AWAITING_SIGNATURE)
    ready = sum(not unmet(Deal.of(opp)) for opp in stage6)
    assert (int(ready_line[1]), int(ready_line[2])) == (ready, len(stage6))
    assert 0 < ready < len(stage6)  # some ready to submit, some with a mistake to fix


def test_the_live_queue_is_submitted_through_the_workflow_services():
    output = seed()

    waiting = Submission.objects.filter(state__in=Submission.OPEN_STATES).select_related("opportunity", "region")
    assert waiting.count() > 0
    for submission in waiting:
        assert submission.opportunity.stage == Stage.CLOSING
        assert submission.sla_due_at == sla_times(submission.submitted_at, submission.region).due_at
        assert OpportunityEvent.objects.filter(opportunity=submission.opportunity, action="submitted").exists()
    in_om = waiting.filter(state=Submission.State.SUBMITTED).count()
    assert f"{in_om} in the approval queues, {waiting.count() - in_om} in Billing's queue" in output


def test_every_closed_won_history_ends_in_billings_approval_on_the_close_date():
    seed()

    won = Opportunity.objects.filter(stage=Stage.CLOSED_WON).select_related("region")
    assert won.exists()
    for opp in won:
        trips = list(opp.submissions.order_by("sequence"))
        assert [t.sequence for t in trips] == list(range(1, len(trips) + 1))
        assert [t.state for t in trips[:-1]] == [t.state for t in trips[:-1] if t.state.endswith("_rejected")]
        last = trips[-1]
        assert last.state == Submission.State.CLOSED_WON
        assert opp.close_date == booked_on(last)  # Pacific day of Billing's approval, or its held booking date
        assert all(t.held_until == held_until(t.start_date, t.submitted_at) for t in trips)


def test_history_rows_are_what_the_services_write_for_the_same_moves():
    """Submit, OM reject, resubmit, OM approve, Billing reject, resubmit, approve, Billing approve: once through
    the services, once through the seeder's bulk history, at the same moments."""
    rep, specialist, billing = UserFactory(), SpecialistFactory(), BillingFactory()
    opp = ready_opportunity(owner=rep)
    bulk = History(random.Random(1), {"billing": billing, "specialist": specialist})
    deal = Deal.of(loaded(pk=opp.pk)[0])
    region = deal.opportunity.region
    at = datetime(2026, 11, 2, 16, 45, tzinfo=ZoneInfo("America/Los_Angeles"))  # after the cut-off

    for sequence, rejecting in enumerate([OM, BILLING, None], start=1):
        submission = bulk.submit(deal, at=at, sequence=sequence, region=region)
        services.approval_submit(opportunity_id=opp.pk, actor=rep, now=at)
        at = bulk.decide(deal, submission, OM, approved=rejecting != OM, actor=specialist, hours=3.25)
        om = bulk.decisions[-1]
        if rejecting == OM:
            services.approval_reject(
                opportunity_id=opp.pk, actor=specialist, reasons=om.reasons, comment=om.comment, now=at
            )
        else:
            services.approval_approve(opportunity_id=opp.pk, actor=specialist, comment=om.comment, now=at)
            at = bulk.decide(deal, submission, BILLING, approved=rejecting is None, actor=billing, hours=2.5)
            decided = bulk.decisions[-1]
            if rejecting == BILLING:
                services.approval_billing_reject(
                    opportunity_id=opp.pk, actor=billing, reasons=decided.reasons, comment=decided.comment, now=at
                )
            else:
                services.approval_billing_approve(opportunity_id=opp.pk, actor=billing, now=at)
        at += timedelta(hours=5)
    # the start date is more than 15 days out: held, and booked by the beat on its date
    assert services.held_bookings_close(now=datetime(2026, 11, 16, 0, 5, tzinfo=ZoneInfo("America/Los_Angeles"))) == 1

    fields = [
        "sequence", "state", "submitted_at", "submitted_by_id", "region_id", "start_date", "net_arr", "amount",
        "clock_started_at", "sla_at_risk_at", "sla_due_at", "held_until", "claimed_by_id", "om_decided_at",
        "om_decided_by_id", "om_business_hours", "billing_decided_at", "billing_decided_by_id",
        "billing_business_hours",
    ]  # fmt: skip
    written = list(Submission.objects.filter(opportunity=opp).order_by("sequence").values(*fields))
    assert [{f: getattr(s, f) for f in fields} for s in bulk.submissions] == written
    decision_fields = ["stage", "outcome", "actor_id", "decided_at", "reasons", "comment", "business_hours"]
    decisions = Decision.objects.filter(submission__opportunity=opp).order_by("decided_at")
    assert [{f: getattr(d, f) for f in decision_fields} for d in bulk.decisions] == list(
        decisions.values(*decision_fields)
    )
    opp.refresh_from_db()
    assert (deal.opportunity.approval_status, deal.opportunity.version) == (opp.approval_status, opp.version)
    assert deal.opportunity.approval_status == Status.CLOSED_WON
    assert opp.close_date == booked_on(bulk.submissions[-1]) == date(2026, 11, 16)


def test_seeding_again_changes_nothing():
    seed()
    counts = (User.objects.count(), Opportunity.objects.count(), Submission.objects.count())

    output = seed()

    assert output.strip() == "demo data already present"
    assert (User.objects.count(), Opportunity.objects.count(), Submission.objects.count()) == counts


def test_an_existing_demo_user_is_kept_as_it_is():
    billing = BillingFactory(username="billing", first_name="Kept")

    output = seed()

    billing.refresh_from_db()
    assert billing.first_name == "Kept"
    assert not billing.check_password(DEMO_PASSWORD)
    assert re.search(r"billing +\(existing user, unchanged\)", output)


def test_refuses_a_database_that_has_opportunities_but_no_demo_users():
    OpportunityFactory()

    with pytest.raises(CommandError, match="only seeds an empty database"):
        seed()


def test_force_is_refused_rather_than_reseeding():
    seed()

    with pytest.raises(CommandError, match="--force is not implemented"):
        seed("--force")


def test_scale_must_be_positive():
    with pytest.raises(CommandError, match="--scale must be positive"):
        call_command("seed_demo", "--scale", "0", stdout=io.StringIO())
    assert not User.objects.exists()


def _drawn(seed_value: int) -> list[tuple]:
    """What seed `seed_value` draws (the live queue's times, taken from now, left out); rolled back afterwards."""
    with transaction.atomic():
        call_command("seed_demo", "--scale", SCALE, "--seed", str(seed_value), stdout=io.StringIO())
        fields = ["name", "stage", "amount", "close_date", "route_to_market", "quotes__amount", "documents__kind"]
        drawn = list(Opportunity.objects.order_by(*fields).values_list(*fields)) + list(
            Submission.objects.exclude(state__in=Submission.OPEN_STATES)
            .order_by("submitted_at", "opportunity__name")
            .values_list("opportunity__name", "sequence", "state", "submitted_at", "om_business_hours")
        )
        transaction.set_rollback(True)
    return drawn


def test_the_same_seed_draws_the_same_data_and_another_seed_other_data():
    first, again, other = _drawn(2026), _drawn(2026), _drawn(7)

    assert first == again
    assert first != other


def test_demo_documents_are_pdfs_the_upload_check_accepts():
    seed()

    stored = set(Document.objects.values_list("file", flat=True))
    assert stored
    for name in stored:
        with default_storage.open(name) as file:
            content = file.read()
        assert upload_check(SimpleUploadedFile("demo.pdf", content))[1] == "application/pdf"


def test_renewals_start_on_the_term_end_of_the_subscription_they_renew():
    seed()

    renewals = Opportunity.objects.filter(type=Opportunity.Type.RENEWAL).select_related("subscription")
    linked = [opp for opp in renewals if opp.subscription_id]
    assert len(linked) >= 0.9 * renewals.count() > 0
    reset = Subscription.ExceptionKind.CONTRACT_RESET
    moved = [o.pk for o in linked if o.subscription.exception != reset and o.start_date != o.subscription.term_end]
    assert moved == []
    assert Subscription.objects.filter(opportunities__isnull=True).count() == 0


def test_license_delivery_dates_only_on_self_managed_closed_won_deals_after_they_closed():
    seed()

    delivered = Opportunity.objects.filter(license_delivery_date__isnull=False)
    assert delivered.exists()
    assert set(delivered.values_list("stage", "deployment")) == {(Stage.CLOSED_WON, "self_managed")}
    assert all(opp.license_delivery_date >= opp.close_date for opp in delivered)
