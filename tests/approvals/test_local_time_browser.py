"""Local time in Chromium (#21): one APAC item, a specialist in Manila and a manager in Los Angeles; each sees its
submitted-at and SLA due on their own clock with the zone named, and the manager also sees the queue region's."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from approvals import services as approval_services
from tests.ordermgmt.factories import ManagerFactory, RepFactory, SpecialistFactory, ready_opportunity, region

pytestmark = pytest.mark.django_db(transaction=True)
MANILA = ZoneInfo("Asia/Manila")
LA = ZoneInfo("America/Los_Angeles")
SUBMITTED = datetime(2026, 12, 3, 10, 0, tzinfo=MANILA)  # Thursday, in APAC's support hours (02:00 UTC)


def row_of(page, opp):
    return page.locator(f'[data-testid="queue-row"][data-opportunity="{opp.pk}"]')


def test_a_manila_specialist_and_a_los_angeles_manager_see_the_same_item_at_their_own_clock_times(
    browser_as, screenshot
):
    # given: an APAC item, the APAC specialist (no setting: the region's zone, Manila), a manager (no region: UTC)
    rep = RepFactory(region=region("APAC"))
    opp = ready_opportunity(owner=rep, name="Two clocks deal", start_date=date(2026, 12, 20))
    approval_services.approval_submit(opportunity_id=opp.pk, actor=rep, now=SUBMITTED)
    due = opp.submissions.get().sla_due_at
    specialist = SpecialistFactory(username="spec_manila", region=region("APAC"))
    manager = ManagerFactory(username="manager_la")

    # when: the manager chooses Los Angeles on their settings page
    boss = browser_as(manager)
    boss.goto("/settings/")
    boss.get_by_label("Time zone").select_option("America/Los_Angeles")
    boss.get_by_role("button", name="Save").click()
    expect(boss.get_by_text("Saved: times now show in America/Los_Angeles.")).to_be_visible()

    # then: the manager's queue shows Los Angeles clock times, and the due time on the APAC queue's clock too
    boss.goto("/queue/")
    row = row_of(boss, opp)
    expect(row.get_by_test_id("submitted-at")).to_have_text(
        f"{SUBMITTED.astimezone(LA):%m-%d %H:%M} America/Los_Angeles"
    )
    expect(row.get_by_test_id("time-region")).to_have_text(f"{due.astimezone(MANILA):%m-%d %H:%M} Asia/Manila")
    expect(row.get_by_test_id("time-viewer")).to_have_text(f"{due.astimezone(LA):%m-%d %H:%M} America/Los_Angeles")
    screenshot(boss, "local_time_queue_manager_los_angeles")

    # and the specialist's shows the same moments on the Manila clock, the due time once (their zone is the queue's)
    spec = browser_as(specialist)
    spec.goto("/queue/")
    row = row_of(spec, opp)
    expect(row.get_by_test_id("submitted-at")).to_have_text("12-03 10:00 Asia/Manila")
    expect(row.get_by_test_id("time-region")).to_have_text(f"{due.astimezone(MANILA):%m-%d %H:%M} Asia/Manila")
    expect(row.get_by_test_id("time-viewer")).to_have_count(0)
    screenshot(spec, "local_time_queue_specialist_manila")

    # and the review page says the same to each
    spec.goto(f"/review/{opp.pk}/")
    expect(spec.get_by_test_id("sla-due")).to_have_text(f"{due.astimezone(MANILA):%Y-%m-%d %H:%M} Asia/Manila")
    boss.goto(f"/review/{opp.pk}/")
    in_manila, in_la = f"{due.astimezone(MANILA):%Y-%m-%d %H:%M}", f"{due.astimezone(LA):%Y-%m-%d %H:%M}"
    expect(boss.get_by_test_id("sla-due")).to_have_text(
        f"{in_manila} Asia/Manila (your time: {in_la} America/Los_Angeles)"
    )
    screenshot(boss, "local_time_review_manager_los_angeles")
    # the two clocks really differ (a day apart here), so the test is not comparing a time with itself
    assert due.astimezone(MANILA).strftime("%d %H") != due.astimezone(LA).strftime("%d %H")
