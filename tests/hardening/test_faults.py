"""Faults, injected for real: our own redis-server stopped and restarted, Celery workers SIGKILLed, two beats at
once, and the database connection terminated in the middle of a request.

Every test here talks to a private redis-server on a free loopback port (never the shared one) and to Celery
worker and beat subprocesses of its own, all pointed at the pytest database.
"""

from __future__ import annotations

import json
import os
import signal
import time

import psycopg2
import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from licenses.models import LicenseReviewRun, LicenseTicket
from ordermgmt import services
from ordermgmt.models import Opportunity, OpportunityEvent, OutboxMessage
from subscriptions.models import ReconciliationRun
from tests.celery_support import Worker
from tests.hardening.faults import Beat, RedisServer, point_celery_at, pool_children
from tests.ordermgmt.factories import AccountFactory, ManagerFactory, RepFactory, SpecialistFactory, ready_opportunity

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker(settings):
    """A private Redis that this process, its workers and /healthz use; stopped and restarted by the tests."""
    original = settings.CELERY_BROKER_URL
    server = RedisServer()
    settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = server.url
    point_celery_at(server.url)
    yield server
    server.stop()
    point_celery_at(original)


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# --- (1) Redis down ------------------------------------------------------------------------------------------------


def test_with_redis_down_the_web_serves_and_queues_and_the_outbox_delivers_everything_later(broker):
    rep = RepFactory()
    specialist = SpecialistFactory(email="")  # no email: the outbox carries only the rep's two approval emails
    first, second = ready_opportunity(owner=rep), ready_opportunity(owner=rep)
    broker.stop()

    submitted = [_api(rep).post(f"/api/opportunities/{o.pk}/submit/", {}, format="json") for o in (first, second)]
    # each approval emails the rep (a notification through the outbox)
    approved = [
        _api(specialist).post(f"/api/opportunities/{o.pk}/approve/", {}, format="json") for o in (first, second)
    ]
    run = _api(ManagerFactory()).post("/api/reconciliation/runs/", {"kind": "renewals"}, format="json")
    health = Client().get("/healthz")

    assert [r.status_code for r in submitted + approved] == [200] * 4, [r.content for r in submitted + approved]
    assert [r.json()["approval_status"] for r in approved] == ["om_approved"] * 2
    assert run.status_code == 202, run.content
    assert health.status_code == 503
    assert health.json()["broker"] == "down"
    assert health.json()["database"] == "ok"
    pending = list(OutboxMessage.objects.filter(sent_at__isnull=True))
    tasks = sorted(m.task for m in pending)
    assert tasks == ["ordermgmt.tasks.notification_email_send"] * 2 + ["subscriptions.tasks.reconciliation_run_execute"]
    assert all(m.attempts == 1 and m.last_error for m in pending)
    print(f"\nRESULT | faults | redis down: writes answered 200 | 4 | outbox rows pending | {len(pending)}")

    broker.start()
    assert Client().get("/healthz").status_code == 200
    assert services.outbox_drain(older_than_seconds=0) == len(pending)
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    worker = Worker(name="after-outage")
    try:
        _wait(
            lambda: ReconciliationRun.objects.get(pk=run.json()["id"]).status == "done", 60, "the queued run to finish"
        )
        _wait(lambda: worker.log().count("notification_email_send[") >= 4, 60, "both emails")  # received+succeeded
        # The run's row says done before its task returns: wait for the worker's "succeeded" line of all three.
        _wait(lambda: worker.log().count("succeeded in") >= 3, 60, "the three tasks to return")
        log = worker.log()
    finally:
        worker.stop()
    assert log.count("ordermgmt.tasks.notification_email_send[") == 4
    assert log.count("succeeded in") == 3
    assert ": True" in log


# --- (2) a worker SIGKILLed mid-task ---------------------------------------------------------------------------------


def test_a_pool_process_killed_mid_review_is_redelivered_and_the_review_completes_exactly_once(broker):
    from licenses.tasks import license_review_run
    from tests.licenses.test_tasks import TUE, bulk_closed_won

    ids = bulk_closed_won(600, delivered_share=0.5)
    worker = Worker(name="killed-child")
    try:
        result = license_review_run.apply_async(
            kwargs={"region": "AMER", "as_of": TUE, "chunk_size": 50, "chunk_sleep": 0.3}
        )
        _wait(lambda: LicenseReviewRun.objects.filter(region="AMER", processed__gte=100).exists(), 30, "half a review")
        (child,) = pool_children(worker.proc.pid)
        os.kill(child, signal.SIGKILL)  # an OOM kill of the process running the task; the main worker lives on
        started = time.monotonic()
        (summary,) = result.get(timeout=60)
        redelivered_after = time.monotonic() - started
        log = worker.log()
    finally:
        worker.stop()

    assert "WorkerLostError" in log or "signal 9" in log
    assert summary["status"] == "done"
    run = LicenseReviewRun.objects.get()
    assert (run.attempts, run.processed) == (2, 600)
    tickets = LicenseTicket.objects.filter(opportunity_id__in=ids)
    assert tickets.count() == 300
    assert tickets.values("opportunity_id").distinct().count() == 300  # exactly one ticket per undelivered deal
    assert OpportunityEvent.objects.filter(action="license_ticket_opened").count() == 300
    print(f"\nRESULT | faults | pool child SIGKILL: review finished after | {redelivered_after:.1f} s | runs | 1")


# --- (3) beat started twice -------------------------------------------------------------------------------------------


def test_two_beats_sending_the_same_job_create_one_review_run_per_period(broker):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from tests.licenses.factories import closed_won

    opps = [closed_won(owner=RepFactory()) for _ in range(3)]
    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="license-review-amer-every-second",
        task="licenses.tasks.license_review_run",
        interval=every_second,
        kwargs=json.dumps({"region": "AMER"}),
    )
    worker = Worker(name="beat-target")
    beats = [Beat("one"), Beat("two")]
    try:
        _wait(
            lambda: all(b.log().count("Sending due task license-review-amer-every-second") >= 3 for b in beats),
            40,
            "both beats sending",
        )
    finally:
        for beat in beats:
            beat.stop()
    try:
        sent = sum(b.log().count("Sending due task license-review-amer-every-second") for b in beats)
        _wait(lambda: worker.log().count("license_review_run[") >= 2 * sent, 60, "every delivery to be run")
    finally:
        worker.stop()

    assert sent >= 6  # both beats fired, several periods each: the job was delivered over and over
    runs = LicenseReviewRun.objects.filter(region="AMER")
    assert runs.count() == 1  # one run for the period (today in AMER), whatever the number of deliveries
    assert runs.get().status == "done"
    for opp in opps:
        assert LicenseTicket.objects.filter(opportunity=opp).count() <= 1
    print(f"\nRESULT | faults | two beats: deliveries | {sent} | review runs | {runs.count()}")


# --- (4) the database connection dropped mid-request ------------------------------------------------------------------


def _terminate_own_backend() -> None:
    """Kill this process's PostgreSQL backend from another connection (what a failover or a network cut does)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    db = connection.settings_dict
    killer = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"], port=db["PORT"] or 5432
    )
    killer.autocommit = True
    with killer.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    killer.close()


def test_a_connection_killed_inside_the_create_service_answers_503_json_and_writes_nothing(monkeypatch):
    rep = RepFactory()
    account = AccountFactory()
    from ordermgmt.services import opportunities as opportunity_services

    original = opportunity_services.opportunity_event_record

    def record_after_losing_the_database(**kwargs):
        _terminate_own_backend()  # the opportunity row is already INSERTed in the open transaction
        return original(**kwargs)

    monkeypatch.setattr(opportunity_services, "opportunity_event_record", record_after_losing_the_database)
    response = _api(rep).post(
        "/api/opportunities/",
        {
            "name": "Half written",
            "account": account.pk,
            "type": "new_business",
            "deployment": "saas",
            "route_to_market": "direct",
            "stage": "1-discovery",
            "amount": "10.00",
            "net_arr": "10.00",
            "arr_basis": "0.00",
            "start_date": "2026-12-01",
        },
        format="json",
    )

    assert response.status_code == 503
    assert "nothing was saved" in response.json()["detail"]
    connection.close()
    assert not Opportunity.objects.filter(name="Half written").exists()
    assert not OpportunityEvent.objects.filter(opportunity__name="Half written").exists()


def test_a_connection_killed_inside_a_page_action_answers_the_503_page_and_changes_nothing(monkeypatch):
    from approvals import services as approvals
    from approvals.services import submission

    rep = RepFactory()
    opp = ready_opportunity(owner=rep)
    approvals.approval_submit(opportunity_id=opp.pk, actor=rep)
    events_before = OpportunityEvent.objects.filter(opportunity=opp).count()
    original = submission.opportunity_event_record

    def write_after_losing_the_database(**kwargs):  # the row is locked and read; its writes are next
        _terminate_own_backend()
        return original(**kwargs)

    monkeypatch.setattr(submission, "opportunity_event_record", write_after_losing_the_database)
    client = Client()
    client.force_login(rep)
    response = client.post(f"/opportunities/{opp.pk}/recall/")

    assert response.status_code == 503
    assert b"nothing was saved" in response.content
    connection.close()
    opp.refresh_from_db()
    assert opp.approval_status == "submitted"
    assert OpportunityEvent.objects.filter(opportunity=opp).count() == events_before
    assert Client().get("/healthz").status_code in (200, 503)  # the next request gets a fresh connection, no 500
