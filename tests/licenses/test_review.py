"""The daily review job (licenses/services/review.py): regions, chunks, repeats, resumes and concurrency."""

import threading
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from licenses import services
from licenses.models import LicenseReviewRun, LicenseTicket
from licenses.services import review as review_module
from ordermgmt.models import Notification, OpportunityEvent
from tests.ordermgmt.factories import region

from .factories import TUE, LicenseDeliveryFactory, SupportEngineerFactory, closed_won, review

pytestmark = pytest.mark.django_db


def test_only_the_requested_region_is_reviewed():
    amer = closed_won()
    emea = closed_won(owner__region=region("EMEA"))

    review(TUE, code="EMEA")

    assert list(LicenseTicket.objects.values_list("opportunity_id", flat=True)) == [emea.pk]
    assert not amer.license_tickets.exists()


def test_running_twice_opens_no_second_ticket_and_an_unforced_rerun_is_a_no_op():
    closed_won()

    first = review(TUE)
    second = review(TUE)
    (third,) = services.license_review_run(region="AMER", as_of=TUE)

    assert LicenseTicket.objects.count() == 1
    assert OpportunityEvent.objects.filter(action="license_ticket_opened").count() == 1
    assert first.pk == second.pk == third.pk
    assert third.attempts == 2  # the unforced third call saw a finished run and did nothing
    assert second.counts["already_ticketed"] == 1


def test_chunks_cover_every_opportunity_and_progress_is_recorded():
    opps = [closed_won() for _ in range(7)]
    LicenseDeliveryFactory(opportunity=opps[3])

    run = review(TUE, chunk_size=2)

    assert run.processed == 7
    assert run.last_opportunity_id == max(o.pk for o in opps)
    assert LicenseTicket.objects.count() == 6
    assert run.counts["delivered"] == 1


def test_a_run_that_fails_half_way_resumes_without_duplicates():
    opps = [closed_won() for _ in range(5)]
    real_chunk = review_module.review_chunk
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker lost")
        return real_chunk(**kwargs)

    with mock.patch.object(review_module, "review_chunk", side_effect=flaky), pytest.raises(RuntimeError):
        services.license_review_run(region="AMER", as_of=TUE, chunk_size=2)
    failed = LicenseReviewRun.objects.get()
    assert failed.status == LicenseReviewRun.Status.FAILED
    assert LicenseTicket.objects.count() == 2  # the first chunk committed

    services.license_review_run(region="AMER", as_of=TUE, chunk_size=2)

    assert sorted(LicenseTicket.objects.values_list("opportunity_id", flat=True)) == sorted(o.pk for o in opps)
    resumed = LicenseReviewRun.objects.get()
    assert resumed.status == LicenseReviewRun.Status.DONE
    assert (resumed.processed, resumed.counts["ticketed"]) == (5, 5)  # resumed after the committed chunk


def test_support_engineering_gets_one_summary_notification_per_run():
    engineer = SupportEngineerFactory()
    closed_won()
    closed_won()

    review(TUE)
    review(TUE)

    assert list(Notification.objects.filter(recipient=engineer).values_list("message", flat=True)) == [
        "License review AMER 2026-09-15: 2 license ticket(s) to deliver by hand."
    ]


def test_an_unknown_region_is_a_validation_error():
    with pytest.raises(ValidationError) as exc:
        services.license_review_run(region="MARS")
    assert "region" in exc.value.message_dict


@pytest.mark.django_db(transaction=True)
def test_two_workers_reviewing_at_once_open_one_ticket_per_opportunity():
    opps = [closed_won() for _ in range(30)]
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            services.license_review_run(region="AMER", as_of=TUE, force=True, chunk_size=5)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert LicenseTicket.objects.count() == len(opps)
    assert OpportunityEvent.objects.filter(action="license_ticket_opened").count() == len(opps)
