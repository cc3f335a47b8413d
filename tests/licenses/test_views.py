"""Server-rendered pages: worklist, tickets (Post/Redirect/Get), failure catalogue, the managers' button."""

import json
from datetime import date

import pytest
import redis
import time_machine
from django.conf import settings
from django.contrib.messages import get_messages

from licenses.models import LicenseTicket
from ordermgmt.models import OutboxMessage
from tests.celery_support import flush_broker

from .factories import LicenseTicketFactory, SupportEngineerFactory, closed_won

pytestmark = pytest.mark.django_db


@pytest.fixture
def engineer_client(client):
    engineer = SupportEngineerFactory()
    client.force_login(engineer)
    client.user = engineer
    return client


@time_machine.travel("2026-09-21 12:00:00+00:00", tick=False)
def test_worklist_shows_each_state_with_aging_in_days(engineer_client):
    waiting = closed_won(name="Waiting deal", close_date=date(2026, 9, 18))
    LicenseTicketFactory(opportunity=closed_won(name="Ticketed deal", close_date=date(2026, 9, 11)))
    closed_won(name="Delivered deal", license_delivery_date=date(2026, 9, 15))

    pages = {
        state: engineer_client.get("/licenses/", {"state": state}) for state in ("waiting", "ticketed", "delivered")
    }

    assert [o.pk for o in pages["waiting"].context["opportunities"]] == [waiting.pk]
    assert pages["waiting"].context["opportunities"][0].aging.days == 3
    assert b"Ticketed deal" in pages["ticketed"].content
    assert b"Waiting deal" not in pages["ticketed"].content
    assert b"Delivered deal" in pages["delivered"].content
    assert b'href="/licenses/">Licenses</a>' in pages["waiting"].content


def test_reps_get_403_on_the_license_pages(client, rep):
    client.force_login(rep)
    for url in ("/licenses/", "/licenses/tickets/", "/licenses/failures/"):
        assert client.get(url).status_code == 403


def test_take_and_mark_delivered_forms_redirect_with_a_message(engineer_client):
    ticket = LicenseTicketFactory(opportunity=closed_won())

    page = engineer_client.get("/licenses/tickets/")
    taken = engineer_client.post(f"/licenses/tickets/{ticket.pk}/take/")
    delivered = engineer_client.post(f"/licenses/tickets/{ticket.pk}/deliver/", {"delivered_on": "2026-09-16"})

    assert b"csrfmiddlewaretoken" in page.content
    assert b"Mark delivered" in page.content
    assert taken.status_code == delivered.status_code == 302
    assert delivered["Location"] == "/licenses/tickets/"
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id) == (LicenseTicket.Status.DELIVERED, engineer_client.user.pk)
    assert [str(m) for m in get_messages(delivered.wsgi_request)][-1].startswith(
        f"Ticket {ticket.pk}: license delivered"
    )


def test_an_illegal_action_becomes_an_error_message_not_a_500(engineer_client):
    ticket = LicenseTicketFactory(status=LicenseTicket.Status.DELIVERED, closed_at="2026-09-15T00:00:00Z")

    response = engineer_client.post(f"/licenses/tickets/{ticket.pk}/take/", follow=True)

    assert response.status_code == 200
    assert b"cannot move to taken" in response.content


def test_a_bad_date_is_an_error_message_and_changes_nothing(engineer_client):
    ticket = LicenseTicketFactory(opportunity=closed_won())

    response = engineer_client.post(f"/licenses/tickets/{ticket.pk}/deliver/", {"delivered_on": "soon"}, follow=True)

    assert b"Enter a valid date" in response.content
    ticket.refresh_from_db()
    assert ticket.status == LicenseTicket.Status.OPEN


def test_specialists_see_tickets_but_no_action_buttons_and_cannot_post(client, specialist):
    ticket = LicenseTicketFactory(opportunity=closed_won())
    client.force_login(specialist)

    page = client.get("/licenses/tickets/")
    refused = client.post(f"/licenses/tickets/{ticket.pk}/take/")

    assert b"Mark delivered" not in page.content
    assert [t.pk for t in page.context["tickets"]] == [ticket.pk]
    assert refused.status_code == 403


def test_failure_catalogue_counts_by_month_reason_and_route(engineer_client):
    with time_machine.travel("2026-08-10 12:00:00+00:00"):
        LicenseTicketFactory(opportunity=closed_won(), reason=LicenseTicket.Reason.WRONG_RECIPIENT)
    with time_machine.travel("2026-09-10 12:00:00+00:00"):
        LicenseTicketFactory(opportunity=closed_won())
        LicenseTicketFactory(opportunity=closed_won())

    response = engineer_client.get("/licenses/failures/")

    catalogue = response.context["catalogue"]
    assert [
        (month.isoformat(), counts["no_delivery"], counts["wrong_recipient"]) for month, counts in catalogue["by_month"]
    ] == [
        ("2026-09-01", 2, 0),
        ("2026-08-01", 0, 1),
    ]
    assert dict(catalogue["by_route"])["direct"]["no_delivery"] == 2
    assert b"2026-09" in response.content


def test_managers_button_queues_a_forced_review_after_commit(client, manager, django_capture_on_commit_callbacks):
    """Through the outbox to the real broker: the row is written with the change, published after commit under the
    task id outbox-<id>, and marked sent only then."""
    flush_broker()
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/licenses/run/", {"region": "EMEA"})

    assert response.status_code == 302
    message = OutboxMessage.objects.get()
    assert (message.task, message.kwargs) == ("licenses.tasks.license_review_run", {"region": "EMEA", "force": True})
    assert message.sent_at is not None
    queued = [json.loads(raw) for raw in redis.Redis.from_url(settings.CELERY_BROKER_URL).lrange("celery", 0, -1)]
    assert [m["headers"]["id"] for m in queued] == [f"outbox-{message.pk}"]
    assert [m["headers"]["task"] for m in queued] == ["licenses.tasks.license_review_run"]
    flush_broker()


def test_only_managers_may_press_the_button(engineer_client):
    response = engineer_client.post("/licenses/run/", {"region": ""})
    assert response.status_code == 403
    assert not OutboxMessage.objects.exists()


def test_review_run_page_shows_what_a_running_review_has_and_polls_until_done(engineer_client):
    from licenses.models import LicenseReviewRun

    run = LicenseReviewRun.objects.create(
        region_id="EMEA", as_of=date(2026, 9, 21), status="running", processed=1000, counts={"ticketed": 3}
    )

    page = engineer_client.get(f"/licenses/runs/{run.pk}/").content.decode()
    LicenseReviewRun.objects.filter(pk=run.pk).update(status="done", processed=1500)
    fragment = engineer_client.get(f"/licenses/runs/{run.pk}/progress/").content.decode()

    assert f'hx-get="/licenses/runs/{run.pk}/progress/"' in page
    assert ">1000</span> processed" in page
    assert "ticketed: 3" in page
    assert "style=" not in page
    assert "hx-trigger" not in fragment
    assert ">1500</span> processed" in fragment


def test_the_runs_list_refreshes_itself(engineer_client):
    body = engineer_client.get("/licenses/runs/").content.decode()
    assert 'hx-get="/licenses/runs/"' in body
    assert "No runs yet." in body
