"""The daily license review and the delivery feed, on PostgreSQL."""

import threading
from datetime import UTC, date, datetime
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from licenses import services
from licenses.models import LicenseDelivery, LicenseReviewRun, LicenseTicket
from ordermgmt.exceptions import Conflict, InvalidTransition
from ordermgmt.models import Notification, Opportunity, OpportunityEvent, RegionClosure
from tests.factories import OpportunityFactory, SubscriptionFactory, region

from .factories import LicenseDeliveryFactory, LicenseTicketFactory, SupportEngineerFactory, closed_won

pytestmark = pytest.mark.django_db

MON, TUE, WED = date(2026, 9, 14), date(2026, 9, 15), date(2026, 9, 16)


def review(as_of, code="AMER", **kwargs):
    (run,) = services.license_review_run(region=code, as_of=as_of, force=True, **kwargs)
    return run


def test_a_delivery_to_the_sold_to_contact_sets_the_license_delivery_date_in_the_regions_time_zone():
    # given: delivered at 02:00 UTC on Tuesday = Monday evening in Los Angeles
    opp = closed_won()
    LicenseDeliveryFactory(opportunity=opp, delivered_at=datetime(2026, 9, 15, 2, 0, tzinfo=UTC))

    # when
    run = review(WED)

    # then
    opp.refresh_from_db()
    assert opp.license_delivery_date == MON
    assert opp.version == 2
    assert not LicenseTicket.objects.exists()
    assert list(opp.events.values_list("action", "changes")) == [
        ("license_delivered", {"license_delivery_date": [None, "2026-09-14"]})
    ]
    assert run.status == LicenseReviewRun.Status.DONE
    assert run.counts["delivered"] == 1


def test_a_delivery_naming_the_subscription_and_sold_to_email_matches_case_insensitively():
    subscription = SubscriptionFactory(name="A-S0000042")
    opp = closed_won(subscription=subscription, sold_to_email="Buyer@Customer.example")
    services.license_delivery_record(
        external_id="X1",
        subscription_name="A-S0000042",
        sold_to_email="BUYER@customer.EXAMPLE",
        delivered_at=datetime(2026, 9, 14, 18, tzinfo=UTC),
    )

    review(WED)

    opp.refresh_from_db()
    assert opp.license_delivery_date == MON
    assert not LicenseTicket.objects.exists()


def test_a_delivery_to_another_email_is_not_a_delivery_and_the_ticket_says_wrong_recipient():
    opp = closed_won(sold_to_email="buyer@customer.example")
    LicenseDeliveryFactory(opportunity=opp, sold_to_email="someone.else@customer.example")

    review(TUE)

    opp.refresh_from_db()
    assert opp.license_delivery_date is None
    ticket = LicenseTicket.objects.get()
    assert (ticket.opportunity_id, ticket.reason, ticket.sold_to_email) == (
        opp.pk,
        LicenseTicket.Reason.WRONG_RECIPIENT,
        "buyer@customer.example",
    )


def test_undelivered_after_one_business_day_opens_one_ticket_addressed_to_the_sold_to_contact():
    opp = closed_won(sold_to_email="Buyer@Customer.example")

    run = review(TUE)

    ticket = LicenseTicket.objects.get()
    assert ticket.reason == LicenseTicket.Reason.NO_DELIVERY
    assert ticket.sold_to_email == "buyer@customer.example"
    assert ticket.status == LicenseTicket.Status.OPEN
    assert (ticket.region_id, ticket.route_to_market, ticket.run_id) == ("AMER", "direct", run.pk)
    assert list(opp.events.values_list("action", flat=True)) == ["license_ticket_opened"]
    assert run.counts["reason:no_delivery"] == 1


def test_within_the_grace_period_nothing_is_ticketed():
    closed_won()

    run = review(MON)

    assert not LicenseTicket.objects.exists()
    assert run.counts["waiting"] == 1


@pytest.mark.parametrize("route", ["aws_private_offer", "gcp_private_offer"])
def test_marketplace_deals_get_two_business_days(route):
    closed_won(route_to_market=route)

    review(TUE)
    assert not LicenseTicket.objects.exists()

    review(WED)
    assert LicenseTicket.objects.get().route_to_market == route


def test_weekends_and_region_closures_do_not_count_as_grace():
    friday_deal = closed_won(close_date=date(2026, 9, 18))
    RegionClosure.objects.create(region=region("AMER"), date=date(2026, 9, 21), reason="Company day off")

    review(date(2026, 9, 20))  # Sunday
    review(date(2026, 9, 21))  # Monday, closed
    assert not LicenseTicket.objects.exists()

    review(date(2026, 9, 22))  # Tuesday: the first business day after the Friday close
    assert LicenseTicket.objects.get().opportunity_id == friday_deal.pk


def test_ibm_oem_is_ticketed_at_once_on_the_close_day():
    closed_won(route_to_market=Opportunity.Route.IBM_OEM)

    review(MON)

    assert LicenseTicket.objects.get().reason == LicenseTicket.Reason.IBM_OEM_MANUAL


def test_missing_sold_to_email_and_missing_primary_quote_are_their_own_reasons():
    no_email = closed_won(sold_to_email="")
    no_quote = closed_won(quote=False)

    review(TUE)

    reasons = dict(LicenseTicket.objects.values_list("opportunity_id", "reason"))
    assert reasons == {
        no_email.pk: LicenseTicket.Reason.MISSING_SOLD_TO_EMAIL,
        no_quote.pk: LicenseTicket.Reason.NO_PRIMARY_QUOTE,
    }
    assert LicenseTicket.objects.get(opportunity=no_email).sold_to_email == ""


def test_saas_open_and_already_delivered_deals_are_left_alone():
    closed_won(deployment=Opportunity.Deployment.SAAS)
    OpportunityFactory(stage=Opportunity.Stage.NEGOTIATING, close_date=MON)
    delivered = closed_won(license_delivery_date=date(2026, 9, 1))
    LicenseDeliveryFactory(opportunity=delivered)

    run = review(WED)

    assert not LicenseTicket.objects.exists()
    assert run.processed == 0
    delivered.refresh_from_db()
    assert delivered.license_delivery_date == date(2026, 9, 1)


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


def test_a_later_delivery_closes_the_ticket_when_the_job_next_runs():
    opp = closed_won()
    review(TUE)
    LicenseDelivery.objects.create(
        external_id="late",
        opportunity=opp,
        sold_to_email="buyer@customer.example",
        delivered_at=datetime(2026, 9, 15, 20, tzinfo=UTC),
    )

    run = review(WED)

    ticket = LicenseTicket.objects.get()
    assert ticket.status == LicenseTicket.Status.AUTO_CLOSED
    assert ticket.closed_at is not None
    opp.refresh_from_db()
    assert opp.license_delivery_date == TUE
    assert run.counts["tickets_auto_closed"] == 1


def test_a_delivery_from_the_feed_closes_the_open_ticket_at_once():
    opp = closed_won()
    review(TUE)

    delivery, created = services.license_delivery_record(
        external_id="feed-1",
        opportunity=opp,
        sold_to_email="buyer@customer.example",
        delivered_at=datetime(2026, 9, 16, 17, tzinfo=UTC),
    )

    assert created
    assert LicenseTicket.objects.get().status == LicenseTicket.Status.AUTO_CLOSED
    opp.refresh_from_db()
    assert opp.license_delivery_date == WED


def test_a_delivery_after_the_as_of_day_does_not_count_for_that_day():
    opp = closed_won()
    LicenseDeliveryFactory(opportunity=opp, delivered_at=datetime(2026, 9, 17, 18, tzinfo=UTC))

    review(TUE)

    opp.refresh_from_db()
    assert opp.license_delivery_date is None
    assert LicenseTicket.objects.get().reason == LicenseTicket.Reason.NO_DELIVERY


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
    real_chunk = services._review_chunk
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker lost")
        return real_chunk(**kwargs)

    with mock.patch.object(services, "_review_chunk", side_effect=flaky), pytest.raises(RuntimeError):
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


# --- feed ----------------------------------------------------------------------------------------------------


def test_the_feed_is_idempotent_on_external_id_and_refuses_a_changed_repeat():
    opp = closed_won()
    kwargs = {
        "external_id": "E-1",
        "opportunity": opp,
        "sold_to_email": "buyer@customer.example",
        "delivered_at": datetime(2026, 9, 14, 18, tzinfo=UTC),
    }
    first, created = services.license_delivery_record(**kwargs)
    again, created_again = services.license_delivery_record(**kwargs)

    assert created
    assert not created_again
    assert first.pk == again.pk
    with pytest.raises(Conflict):
        services.license_delivery_record(**{**kwargs, "sold_to_email": "other@customer.example"})
    assert LicenseDelivery.objects.count() == 1


def test_csv_import_creates_skips_repeats_and_counts_bad_lines():
    opp = closed_won()
    text = (
        "external_id,opportunity,subscription_name,sold_to_email,delivered_at\n"
        f"C-1,{opp.pk},,buyer@customer.example,2026-09-14T18:00:00+00:00\n"
        "C-2,,A-S1,x@customer.example,2026-09-14T18:00:00\n"
        "C-3,,A-S1,not-an-email,2026-09-14T18:00:00\n"
        "C-4,999999999,,x@customer.example,2026-09-14T18:00:00\n"
        ",,A-S1,x@customer.example,2026-09-14T18:00:00\n"
        "C-5,,,x@customer.example,2026-09-14T18:00:00\n"
    )

    first = services.license_deliveries_import_csv(text=text)
    second = services.license_deliveries_import_csv(text=text)

    assert (first["created"], first["invalid"]) == (2, 4)
    assert (second["created"], second["existing"], second["invalid"]) == (0, 2, 4)
    assert LicenseDelivery.objects.get(external_id="C-2").delivered_at == datetime(2026, 9, 14, 18, tzinfo=UTC)
    opp.refresh_from_db()
    assert opp.license_delivery_date == MON


def test_csv_without_the_required_columns_is_refused():
    with pytest.raises(ValidationError) as exc:
        services.license_deliveries_import_csv(text="id,email\n1,a@b.example\n")
    assert "delivered_at" in exc.value.messages[0]


# --- tickets ----------------------------------------------------------------------------------------------------


def test_take_then_mark_delivered_sets_the_date_and_records_history():
    engineer = SupportEngineerFactory()
    ticket = LicenseTicketFactory(opportunity=closed_won())

    services.license_ticket_take(ticket_id=ticket.pk, actor=engineer)
    services.license_ticket_take(ticket_id=ticket.pk, actor=engineer)  # repeat: no-op
    services.license_ticket_mark_delivered(ticket_id=ticket.pk, actor=engineer, delivered_on=WED)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id) == (LicenseTicket.Status.DELIVERED, engineer.pk)
    assert ticket.closed_at is not None
    ticket.opportunity.refresh_from_db()
    assert ticket.opportunity.license_delivery_date == WED
    assert list(ticket.opportunity.events.values_list("action", flat=True)) == [
        "license_ticket_taken",
        "license_delivered",
    ]


def test_a_ticket_that_closed_itself_cannot_be_marked_delivered():
    ticket = LicenseTicketFactory(status=LicenseTicket.Status.AUTO_CLOSED, closed_at=datetime(2026, 9, 15, tzinfo=UTC))

    with pytest.raises(InvalidTransition):
        services.license_ticket_mark_delivered(ticket_id=ticket.pk, actor=SupportEngineerFactory())

    ticket.opportunity.refresh_from_db()
    assert ticket.opportunity.license_delivery_date is None


def test_the_database_refuses_a_second_open_ticket_for_one_opportunity():
    from django.db import IntegrityError

    ticket = LicenseTicketFactory()
    with pytest.raises(IntegrityError):
        LicenseTicketFactory(opportunity=ticket.opportunity, status=LicenseTicket.Status.TAKEN)


# --- concurrency ----------------------------------------------------------------------------------------------------


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


def test_the_task_retries_later_when_another_worker_holds_the_regions_lock():
    from celery.exceptions import Retry

    from licenses import tasks

    busy_run = LicenseReviewRun(region_id="EMEA", as_of=TUE, status=LicenseReviewRun.Status.RUNNING)
    with (
        mock.patch.object(services, "license_review_run", return_value=[busy_run]),
        mock.patch.object(tasks.license_review_run, "retry", side_effect=Retry()) as retry,
        pytest.raises(Retry),
    ):
        tasks.license_review_run.run(region="EMEA", as_of="2026-09-15")

    assert retry.call_args.kwargs["kwargs"]["region"] == "EMEA"
    assert retry.call_args.kwargs["countdown"] == tasks.BUSY_RETRY_SECONDS
