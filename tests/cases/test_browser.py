"""End to end in Chromium: a rep opens a case from an opportunity, Deal Desk takes and answers it, the rep sees it."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from cases.models import Case
from tests.ordermgmt.factories import PASSWORD, OpportunityFactory, RepFactory

from .conftest import member

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _htmx_settled(page) -> None:
    """Wait until htmx has swapped and processed the new fragment (a change event before that is lost)."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping, .htmx-added')"
    )


def _login(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.fixture
def browser():
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        # Generous waits: the machine is shared and small; a slow page is not a failure of the feature.
        expect.set_options(timeout=20_000)
        yield browser
        browser.close()


def test_rep_opens_case_deal_desk_answers_rep_sees_it(live_server, browser):
    rep = RepFactory(username="rep_browser", first_name="Rita", last_name="Rep")
    opp = OpportunityFactory(owner=rep, name="Acme Ramp 2026")
    desk = member(username="dd_browser", first_name="Dan", last_name="Desk")

    # The rep opens a Ramp Deal case: team -> request type -> its fields, loaded by htmx.
    rep_page = browser.new_page()
    rep_page.set_default_timeout(20_000)
    _login(rep_page, live_server.url, rep.username)
    rep_page.goto(f"{live_server.url}/cases/new/?opportunity={opp.pk}")
    rep_page.get_by_label("Team").select_option("deal_desk")
    _htmx_settled(rep_page)
    rep_page.get_by_label("Request type").select_option("ramp_deal")
    _htmx_settled(rep_page)
    expect(rep_page.get_by_label("Ramp schedule (years and amounts)")).to_be_visible()
    rep_page.get_by_label("Quote number").fill("Q-2026-001")
    rep_page.get_by_label("Ramp schedule (years and amounts)").fill("Year 1: 100k, Year 2: 150k, Year 3: 200k")
    rep_page.get_by_label("Subject").fill("Ramp schedule for Acme")
    rep_page.get_by_label("Details").fill("Please build the 3-year ramp on the quote.")
    rep_page.get_by_role("button", name="Open case").click()
    expect(rep_page.get_by_test_id("case-number")).to_have_text(re.compile(r"CS-\d{6}"))
    case = Case.objects.get()
    expect(rep_page.get_by_role("alert").first).to_contain_text(case.number)

    # Deal Desk finds it in the queue, takes it and answers.
    desk_page = browser.new_page()
    desk_page.set_default_timeout(20_000)
    _login(desk_page, live_server.url, desk.username)
    desk_page.goto(f"{live_server.url}/cases/queue/deal_desk/")
    desk_page.get_by_role("link", name=case.number).click()
    desk_page.get_by_role("button", name="Take this case").click()
    expect(desk_page.get_by_test_id("case-owner")).to_have_text("Dan Desk")
    desk_page.get_by_label("Reply").fill("Ramp added to Q-2026-001, @rep_browser please review.")
    desk_page.get_by_role("button", name="Post reply").click()
    expect(desk_page.get_by_test_id("comment")).to_have_count(1)

    # The rep sees the answer on the case page.
    rep_page.goto(f"{live_server.url}/cases/mine/")
    rep_page.get_by_role("link", name=case.number).click()
    expect(rep_page.get_by_test_id("comment")).to_contain_text("Ramp added to Q-2026-001")
    expect(rep_page.get_by_test_id("case-status")).to_have_text("Work in Progress")
    ARTIFACTS.mkdir(exist_ok=True)
    rep_page.set_viewport_size({"width": 1280, "height": 900})
    rep_page.screenshot(path=str(ARTIFACTS / "case_page.png"), full_page=True)
    assert (ARTIFACTS / "case_page.png").stat().st_size > 10_000  # the committed copy in docs/ is refreshed by hand

    case.refresh_from_db()
    assert case.owner == desk
    assert case.first_response_at is not None
    assert case.request_type.code == "ramp_deal"
    assert case.field_values["quote_number"] == "Q-2026-001"
