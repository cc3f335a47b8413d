"""The review task (licenses/tasks.py): through a real Celery worker on real Redis, including a worker SIGKILLed
half-way, and its retry while another worker holds the region."""

import time
from datetime import UTC, date, datetime
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.db.models import Count

from licenses import services, tasks
from licenses.models import LicenseDelivery, LicenseReviewRun, LicenseTicket
from licenses.tasks import license_review_run
from ordermgmt.models import Contact, Opportunity, OpportunityEvent, Quote
from tests.celery_support import Worker, flush_broker
from tests.ordermgmt.factories import AccountFactory, RepFactory

from .factories import closed_won

TUE = "2026-09-15"


def bulk_closed_won(n: int, *, delivered_share: float) -> list[int]:
    """`n` Closed Won AMER opportunities with a Sold To contact; the first `delivered_share` have a delivery."""
    owner, account = RepFactory(), AccountFactory()
    opps = Opportunity.objects.bulk_create(
        [
            Opportunity(
                name=f"Bulk {i}",
                account=account,
                owner=owner,
                region_id="AMER",
                stage=Opportunity.Stage.CLOSED_WON,
                approval_status=Opportunity.ApprovalStatus.CLOSED_WON,
                close_date=date(2026, 9, 14),
            )
            for i in range(n)
        ],
        batch_size=1000,
    )
    contacts = Contact.objects.bulk_create(
        [Contact(account=account, name=f"Buyer {o.pk}", email=f"buyer{o.pk}@customer.example") for o in opps],
        batch_size=1000,
    )
    Quote.objects.bulk_create(
        [
            Quote(opportunity=o, number=f"BQ-{o.pk}", sold_to_contact=c, is_primary=True)
            for o, c in zip(opps, contacts, strict=True)
        ],
        batch_size=1000,
    )
    LicenseDelivery.objects.bulk_create(
        [
            LicenseDelivery(
                external_id=f"BULK-{o.pk}",
                opportunity=o,
                sold_to_email=f"buyer{o.pk}@customer.example",
                delivered_at=datetime(2026, 9, 14, 18, tzinfo=UTC),
            )
            for o in opps[: int(n * delivered_share)]
        ],
        batch_size=1000,
    )
    return [o.pk for o in opps]


def test_a_real_worker_runs_the_review_and_returns_its_counts(celery_worker):
    opp = closed_won()

    result = license_review_run.delay(region="AMER", as_of=TUE)

    (summary,) = result.get(timeout=60)
    assert summary["status"] == "done"
    assert summary["counts"]["ticketed"] == 1
    assert LicenseTicket.objects.get().opportunity_id == opp.pk
    assert "licenses.tasks.license_review_run" in celery_worker.log()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_run_leaves_every_opportunity_delivered_or_with_exactly_one_ticket(monkeypatch):
    # A SIGKILLed *main* worker leaves its acks_late message unacked in Redis; kombu restores it after the
    # visibility timeout. The test workers read a 6 s timeout (and a 1 s restore sweep) from the environment.
    monkeypatch.setenv("TEST_CELERY_VISIBILITY_TIMEOUT", "6")
    ids = bulk_closed_won(2000, delivered_share=0.5)
    flush_broker()
    first = Worker(name="doomed")
    try:
        result = license_review_run.apply_async(
            kwargs={"region": "AMER", "as_of": TUE, "chunk_size": 100, "chunk_sleep": 0.25}
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            run = LicenseReviewRun.objects.filter(region="AMER").first()
            if run and run.processed >= 300:
                break
            time.sleep(0.05)
        first.kill()
    finally:
        first.stop()

    # when the worker died, the run was part-way through: some chunks committed, not all
    run = LicenseReviewRun.objects.get()
    assert run.status == LicenseReviewRun.Status.RUNNING
    assert 300 <= run.processed < 2000

    second = Worker(name="rescuer")
    try:
        (summary,) = result.get(timeout=45)
    finally:
        second.stop()

    assert summary["status"] == "done"
    run.refresh_from_db()
    assert run.attempts == 2
    assert run.processed == 2000  # resumed after the last committed chunk: nothing reviewed twice
    delivered = set(
        Opportunity.objects.filter(pk__in=ids, license_delivery_date__isnull=False).values_list("pk", flat=True)
    )
    tickets_per_opp = dict(
        LicenseTicket.objects.filter(opportunity_id__in=ids)
        .values("opportunity_id")
        .annotate(n=Count("id"))
        .values_list("opportunity_id", "n")
    )
    assert len(delivered) == 1000
    assert set(tickets_per_opp.values()) == {1}
    assert delivered.isdisjoint(tickets_per_opp)
    assert delivered | set(tickets_per_opp) == set(ids)
    assert OpportunityEvent.objects.filter(action="license_ticket_opened").count() == 1000
    assert OpportunityEvent.objects.filter(action="license_delivered").count() == 1000


def test_the_task_retries_later_when_another_worker_holds_the_regions_lock():
    busy_run = LicenseReviewRun(region_id="EMEA", as_of=date(2026, 9, 15), status=LicenseReviewRun.Status.RUNNING)
    with (
        mock.patch.object(services, "license_review_run", return_value=[busy_run]),
        mock.patch.object(tasks.license_review_run, "retry", side_effect=Retry()) as retry,
        pytest.raises(Retry),
    ):
        tasks.license_review_run.run(region="EMEA", as_of=TUE)

    assert retry.call_args.kwargs["kwargs"]["region"] == "EMEA"
    assert retry.call_args.kwargs["countdown"] == tasks.BUSY_RETRY_SECONDS
