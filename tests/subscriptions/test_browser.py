"""Run progress in real (Debian) headless Chromium under the product's CSP: the bar moves while the page polls."""

from datetime import date

import pytest
from playwright.sync_api import expect

from licenses.models import LicenseReviewRun
from subscriptions.models import ReconciliationRun
from tests.ordermgmt.factories import ManagerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _progress_value(page) -> str:
    return page.get_by_test_id("run-progress-bar").get_attribute("value")


def test_the_reconciliation_progress_bar_moves_during_a_run_and_survives_a_reload(browser_as, screenshot):
    # given: a running run at 10% and a manager watching its page
    run = ReconciliationRun.objects.create(kind="renewals", as_of=date(2026, 11, 2), status="running", progress=10)
    page = browser_as(ManagerFactory())
    csp_violations = []
    page.on("console", lambda msg: csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(f"/reconciliation/runs/{run.pk}/")
    assert _progress_value(page) == "10"

    # when: the run advances (the worker writes progress the same way: an UPDATE of the row)
    ReconciliationRun.objects.filter(pk=run.pk).update(progress=60)

    # then: the polled fragment moves the bar without a reload
    expect(page.get_by_test_id("run-progress-bar")).to_have_attribute("value", "60", timeout=8_000)
    bar_width = page.get_by_test_id("run-progress-bar").evaluate("el => el.getBoundingClientRect().width")
    assert bar_width > 100  # laid out by app.css, not by a blocked inline style
    screenshot(page, "run_progress")

    # and: finishing stops the polling; a reload shows the same state
    ReconciliationRun.objects.filter(pk=run.pk).update(progress=100, status="done")
    expect(page.get_by_test_id("run-progress")).to_have_attribute("data-status", "done", timeout=8_000)
    page.reload()
    assert _progress_value(page) == "100"
    assert csp_violations == []


def test_the_license_review_shows_its_counts_moving(browser_as):
    run = LicenseReviewRun.objects.create(region_id="AMER", as_of=date(2026, 11, 2), status="running", processed=0)
    page = browser_as(ManagerFactory())
    page.goto("/licenses/runs/")
    expect(page.get_by_test_id("review-run-processed")).to_have_text("0")

    LicenseReviewRun.objects.filter(pk=run.pk).update(processed=2000, counts={"ticketed": 4})

    expect(page.get_by_test_id("review-run-processed")).to_have_text("2000", timeout=8_000)
    expect(page.get_by_test_id("review-run-progress")).to_contain_text("ticketed: 4")
