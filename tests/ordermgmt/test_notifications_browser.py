"""The notifications page in real (Debian) headless Chromium: mark one read, mark all read, the bell's count follows."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from ordermgmt.models import Notification
from ordermgmt.services import notification_send
from tests.ordermgmt.factories import RepFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_rep_marks_one_notification_read_then_all_and_the_bell_counts_down(browser_as, screenshot):
    # given: three unread notifications and one already read
    rep = RepFactory(username="rep_bell")
    for i, message in enumerate(("Initech platform was rejected", "Globex renewal was approved", "Hooli needs a PO")):
        notification_send(recipient=rep, verb="om_rejected" if i == 0 else "om_approved", message=message,
                          url="/opportunities/")  # fmt: skip
    old = notification_send(recipient=rep, verb="assigned", message="An old note")
    yesterday = old.created_at - timedelta(days=1)
    Notification.objects.filter(pk=old.pk).update(created_at=yesterday, read_at=yesterday)
    page = browser_as(rep)
    page.clock.install()  # the bell polls every 60 s: the test moves the clock instead of waiting

    # the bell says how many are unread, to the eye and to a screen reader
    page.goto("/opportunities/")
    expect(page.get_by_test_id("bell-count")).to_have_text("3 unread")
    page.get_by_role("link", name="Notifications 3 unread").click()
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    rows = page.get_by_test_id("notification")
    expect(rows).to_have_count(4)
    expect(page.locator('[data-testid="notification"][data-unread="true"]')).to_have_count(3)

    # when: one is marked read
    row = rows.filter(has_text="Globex renewal was approved")
    row.get_by_role("button", name="Mark read").click()

    # then: that row reads as read, the others not, and the bell counts 2
    expect(row).to_have_attribute("data-unread", "false")
    expect(row.get_by_role("button", name="Mark read")).to_have_count(0)
    expect(page.locator('[data-testid="notification"][data-unread="true"]')).to_have_count(2)
    expect(page.get_by_test_id("bell-count")).to_have_text("2 unread")
    screenshot(page, "notifications")

    # and: a notification that arrives meanwhile shows on the bell at its next poll, without a reload
    notification_send(recipient=rep, verb="assigned", message="Umbrella was assigned to you")
    page.clock.run_for(61_000)
    expect(page.get_by_test_id("bell-count")).to_have_text("3 unread")

    # when: all are marked read (the page reloads with the new one)
    page.get_by_role("button", name="Mark all read").click()

    # then: a message with the count, nothing unread, and no badge on the bell
    expect(page.get_by_test_id("message")).to_contain_text("3 notifications marked read.")
    expect(page.locator('[data-testid="notification"][data-unread="true"]')).to_have_count(0)
    expect(page.get_by_role("button", name="Mark read")).to_have_count(0)
    expect(page.get_by_test_id("bell-count")).to_have_count(0)
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    assert not Notification.objects.filter(recipient=rep, read_at__isnull=True).exists()
