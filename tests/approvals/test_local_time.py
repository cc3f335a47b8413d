"""Local time on the approval pages (#21): the queue and review page show the SLA due on the queue region's clock and
the viewer's, both named; out of office is typed in the region's zone whatever zone the viewer chose."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django import forms
from django.urls import reverse
from django.utils import timezone

from approvals import services
from approvals.forms import OutOfOfficeForm, ZonedDateTimeField
from ordermgmt import zones
from tests.ordermgmt.factories import ManagerFactory, RepFactory, SpecialistFactory, ready_opportunity

pytestmark = pytest.mark.django_db
PT = ZoneInfo("America/Los_Angeles")
MANILA = ZoneInfo("Asia/Manila")
# Thursday 2026-12-03 10:00 in Los Angeles (18:00 UTC): AMER's SLA is 12 business hours (07:00-17:00), so the item is
# due Friday 12:00 Pacific = 20:00 UTC = Saturday 04:00 in Manila.
SUBMITTED = datetime(2026, 12, 3, 10, 0, tzinfo=PT)
NOW = datetime(2026, 12, 3, 11, 0, tzinfo=PT)


@pytest.fixture(autouse=True)
def _fresh_region_zones():
    zones.region_zone_names_clear()


@pytest.fixture
def item():
    rep = RepFactory()
    opp = ready_opportunity(owner=rep, name="Zoned deal", start_date=date(2026, 12, 20))
    services.approval_submit(opportunity_id=opp.pk, actor=rep, now=SUBMITTED)
    return opp


def test_the_queue_names_the_viewers_zone_and_shows_the_due_time_in_both(client, item):
    # given: an AMER specialist who reads times in Manila, and one who keeps the region's zone
    manila = SpecialistFactory(time_zone="Asia/Manila")
    local = SpecialistFactory()
    due = item.submissions.get().sla_due_at

    # when
    with time_machine.travel(NOW, tick=False):
        client.force_login(manila)
        seen_in_manila = client.get("/queue/").content.decode()
        client.force_login(local)
        seen_in_la = client.get("/queue/").content.decode()

    # then
    assert due == datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
    assert "12-04 02:00 Asia/Manila" in seen_in_manila  # submitted 18:00 UTC
    assert "12-04 12:00 America/Los_Angeles" in seen_in_manila  # the queue region's clock
    assert "12-05 04:00 Asia/Manila" in seen_in_manila  # the viewer's
    assert "12-03 10:00 America/Los_Angeles" in seen_in_la
    assert "12-04 12:00 America/Los_Angeles" in seen_in_la
    assert 'data-testid="time-viewer"' not in seen_in_la  # the same zone: shown once
    assert "submitted 2026-12-04 02:00 Asia/Manila" in seen_in_manila  # the row's "why here" title


def test_the_apis_priority_reason_stays_in_utc(client, item):
    client.force_login(SpecialistFactory(time_zone="Asia/Manila"))

    row = client.get("/api/queue/").json()["results"][0]

    assert row["priority_reason"].endswith("submitted 2026-12-03 18:00 UTC")


def test_the_review_page_shows_the_sla_due_in_the_region_and_for_the_viewer(client, item):
    manager = ManagerFactory()  # no region, no setting: UTC

    with time_machine.travel(NOW, tick=False):
        client.force_login(manager)
        page = client.get(reverse("approvals:review", args=[item.pk])).content.decode()

    assert "2026-12-04 12:00 America/Los_Angeles" in page
    assert "2026-12-04 20:00 UTC" in page


def test_out_of_office_is_read_in_the_regions_zone_whatever_the_viewers_zone(client):
    # given: an AMER specialist who reads the pages in Manila time
    person = SpecialistFactory(time_zone="Asia/Manila")
    backup = SpecialistFactory()
    client.force_login(person)

    # when: they type 09:00 on the out-of-office page, which names Los Angeles
    page = client.get(reverse("approvals:my_out_of_office")).content.decode()
    client.post(
        reverse("approvals:my_out_of_office"),
        {"start": "2026-12-07T09:00", "end": "2026-12-08T17:00", "backup": backup.pk},
    )

    # then: 09:00 in Los Angeles, shown back as typed
    assert "Out from (America/Los_Angeles)" in page
    person.refresh_from_db()
    assert person.out_of_office_from == datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
    again = client.get(reverse("approvals:my_out_of_office")).content.decode()
    assert 'value="2026-12-07T09:00"' in again


def test_a_zoned_input_refuses_a_time_that_does_not_exist_in_its_own_zone():
    # 02:30 on 2026-03-08 does not exist in Los Angeles (clocks jump from 02:00 to 03:00); it does in Manila
    with timezone.override(MANILA):
        form = OutOfOfficeForm({"start": "2026-03-08T02:30", "end": ""}, tz=PT)
        valid = form.is_valid()

    assert not valid
    assert "start" in form.errors


def test_a_plain_datetime_input_reads_the_active_zone_and_a_zoned_one_its_own():
    with timezone.override(MANILA):
        plain = forms.DateTimeField().clean("2026-12-07T09:00")
        zoned = ZonedDateTimeField(tz=PT).clean("2026-12-07T09:00")

    assert plain == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # 09:00 Manila
    assert zoned == datetime(2026, 12, 7, 17, 0, tzinfo=UTC)  # 09:00 Los Angeles


def test_the_team_page_shows_an_absence_in_the_specialists_region_zone(client):
    person = SpecialistFactory()
    services.specialist_set_out_of_office(
        actor=ManagerFactory(),
        specialist=person,
        start=datetime(2026, 12, 7, 17, 0, tzinfo=UTC),
        end=datetime(2026, 12, 9, 1, 0, tzinfo=UTC),
        backup=SpecialistFactory(),
    )
    client.force_login(ManagerFactory())

    page = client.get(reverse("approvals:team")).content.decode()

    assert "Out 2026-12-07 09:00 America/Los_Angeles – 2026-12-08 17:00 America/Los_Angeles" in page
    assert f'name="o{person.pk}-start" value="2026-12-07T09:00"' in page


def test_the_sla_alert_names_the_due_time_on_the_queue_regions_clock(item):
    from ordermgmt.models import Notification

    SpecialistFactory()  # somebody in AMER to alert

    services.sla_alerts_send(now=datetime(2026, 12, 4, 13, 0, tzinfo=PT))  # in AMER's hours, past the due time

    messages = set(Notification.objects.filter(verb="sla_breached").values_list("message", flat=True))
    assert messages == {"Zoned deal (AMER) breached its SLA: due 2026-12-04 12:00 America/Los_Angeles."}
