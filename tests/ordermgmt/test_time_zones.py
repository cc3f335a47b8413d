"""Local time (#21): the viewer's zone per request, the setting that chooses it, and times that name their zone."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from ordermgmt import services, zones
from ordermgmt.forms import TimeZoneForm
from ordermgmt.middleware import TimeZoneMiddleware
from tests.ordermgmt.factories import ManagerFactory, RepFactory, SpecialistFactory, region

pytestmark = pytest.mark.django_db

NOON_UTC = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_region_zones():
    zones.region_zone_names_clear()
    yield
    zones.region_zone_names_clear()


def zone_seen_by(user, path="/queue/") -> str:
    """The zone active while the view runs, for a request by `user` through the middleware."""
    seen = {}

    def view(request):
        seen["zone"] = timezone.get_current_timezone_name()
        return HttpResponse("ok")

    request = RequestFactory().get(path)
    request.user = user
    TimeZoneMiddleware(view)(request)
    return seen["zone"]


def test_a_blank_setting_follows_the_users_region():
    # given: an APAC specialist and an AMER rep who never chose a zone
    manila = SpecialistFactory(region=region("APAC"))
    los_angeles = RepFactory()

    # then
    assert manila.time_zone == ""
    assert zone_seen_by(manila) == "Asia/Manila"
    assert zone_seen_by(los_angeles) == "America/Los_Angeles"


def test_no_region_and_no_setting_is_utc_and_a_setting_wins_over_the_region():
    assert zone_seen_by(ManagerFactory()) == "UTC"
    assert zone_seen_by(RepFactory(time_zone="Europe/Berlin")) == "Europe/Berlin"


def test_the_zone_is_not_left_active_after_the_request():
    zone_seen_by(SpecialistFactory(region=region("APAC")))

    assert timezone.get_current_timezone_name() == "UTC"


def test_the_api_stays_in_utc_for_a_signed_in_person():
    assert zone_seen_by(SpecialistFactory(region=region("APAC")), path="/api/queue/") == "UTC"


def test_the_api_answers_iso_8601_in_utc_whatever_the_users_zone(client):
    # given: a Manila specialist signed in with the browser session (the path where a zone could leak in)
    from tests.approvals.test_views import submitted

    opp = submitted(RepFactory())
    client.force_login(SpecialistFactory(region=region("AMER"), time_zone="Asia/Manila"))

    # when
    row = client.get("/api/queue/").json()["results"][0]

    # then
    assert row["opportunity"] == opp.pk
    assert row["submitted_at"].endswith(("Z", "+00:00")), row
    assert row["sla_due_at"].endswith(("Z", "+00:00")), row


def test_the_local_filter_names_the_active_zone():
    template = Template("{{ at|local }} | {{ at|local:'m-d H:i' }} | {{ at|in_zone:'America/Los_Angeles' }}")

    with timezone.override("Asia/Manila"):
        text = template.render(Context({"at": NOON_UTC}))

    assert text == "2026-12-05 20:00 Asia/Manila | 12-05 20:00 Asia/Manila | 2026-12-05 04:00 America/Los_Angeles"


def test_region_and_local_shows_the_viewers_time_only_when_it_differs():
    template = Template("{% region_and_local at 'America/Los_Angeles' %}")

    with timezone.override("Asia/Manila"):
        both = template.render(Context({"at": NOON_UTC}))
    with timezone.override("America/Los_Angeles"):
        one = template.render(Context({"at": NOON_UTC}))

    assert "2026-12-05 04:00 America/Los_Angeles" in both
    assert "your time" in both
    assert "2026-12-05 20:00 Asia/Manila" in both
    assert "2026-12-05 04:00 America/Los_Angeles" in one
    assert "your time" not in one


def test_the_settings_form_refuses_an_unknown_zone_naming_the_field():
    form = TimeZoneForm({"time_zone": "Mars/Olympus_Mons"})

    assert not form.is_valid()
    assert list(form.errors) == ["time_zone"]


def test_the_service_refuses_an_unknown_zone_naming_the_field():
    user = RepFactory()

    with pytest.raises(ValidationError) as refused:
        services.user_time_zone_set(user=user, time_zone="Mars/Olympus_Mons")

    assert list(refused.value.message_dict) == ["time_zone"]
    user.refresh_from_db()
    assert user.time_zone == ""


def test_the_settings_page_saves_the_zone_and_blank_returns_to_the_regions(client):
    user = RepFactory()
    client.force_login(user)

    page = client.get("/settings/").content.decode()
    assert "Default: your region&#x27;s, America/Los_Angeles" in page

    response = client.post("/settings/", {"time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.time_zone == "Asia/Tokyo"
    with time_machine.travel(NOON_UTC, tick=False):
        page = client.get("/settings/").content.decode()
    assert "2026-12-05 21:00 Asia/Tokyo" in page

    client.post("/settings/", {"time_zone": ""})
    user.refresh_from_db()
    assert user.time_zone == ""
    assert zone_seen_by(user) == "America/Los_Angeles"


def test_the_settings_page_answers_400_for_an_unknown_zone(client):
    client.force_login(RepFactory())

    response = client.post("/settings/", {"time_zone": "Mars/Olympus_Mons"})

    assert response.status_code == 400
    assert "Time zone: Select a valid choice" in response.content.decode()


def test_a_time_in_the_history_reads_on_the_viewers_clock():
    from ordermgmt import history
    from ordermgmt.models import OpportunityEvent

    event = OpportunityEvent(
        changes={"sla_due_at": [None, "2026-12-04T13:00:00+08:00"], "close_date": [None, "2026-12-01"]}
    )

    with timezone.override("America/Los_Angeles"):
        lines = {line.field: line.text for line in history.change_lines(event)}

    assert lines == {"Sla due at": "set to 2026-12-03 21:00 America/Los_Angeles", "Close date": "set to 2026-12-01"}
