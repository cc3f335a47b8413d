"""A manager in real (Debian) headless Chromium: opens the dashboard, changes the period, drills into a tile."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from kpis.models import CsatResponse
from ordermgmt.models import Opportunity
from tests.browser import ARTIFACTS
from tests.ordermgmt.factories import ManagerFactory, OpportunityFactory, RepFactory, SpecialistFactory, region

from .conftest import case, submission

pytestmark = pytest.mark.django_db(transaction=True)


def seed_quarters() -> None:
    """Q2 and Q3 2026 in three regions, and a little history so the trend charts have lines."""
    reps = [
        RepFactory(username=f"kpi_ui_{code.lower()}", first_name=name, last_name="Rep", region=region(code))
        for code, name in (("AMER", "Ana"), ("EMEA", "Emil"), ("APAC", "Aiko"))
    ]
    specs = {
        rep.region_id: SpecialistFactory(region=rep.region, first_name="Spec", last_name=rep.region_id) for rep in reps
    }
    for i, rep in enumerate(reps):
        spec = specs[rep.region_id]
        for day, hours in ((3, "2"), (9, "6"), (15, "11"), (21, "14" if i else "30")):
            submission(owner=rep, submitted=f"2026-07-{day:02d} 09:00", om_at=f"2026-07-{day + 1:02d} 09:00",
                       om_hours=hours, om_by=spec, billing_at=f"2026-07-{day + 2:02d} 09:00",
                       billing_outcome="rejected" if day == 21 and i == 1 else "approved",
                       billing_reasons=["po_number_on_quote"] if day == 21 and i == 1 else [])  # fmt: skip
        submission(owner=rep, submitted="2026-08-04 09:00", om_at="2026-08-05 09:00", om_hours="5", om_by=spec,
                   om_outcome="rejected", om_reasons=["primary_quote_approved", "quote_contacts"][: i + 1])  # fmt: skip
        submission(owner=rep, submitted="2026-04-10 09:00", om_at="2026-04-10 15:00", om_hours="4", om_by=spec)
        submission(owner=rep, submitted="2026-01-10 09:00", om_at="2026-01-11 15:00", om_hours="13", om_by=spec)
        submission(owner=rep, submitted="2025-10-10 09:00", om_at="2025-10-11 15:00", om_hours="9", om_by=spec)
        if i == 0:
            submission(owner=rep, escalated_at="2026-08-20 10:00")
        for close in (date(2026, 7, 20), date(2026, 9, 2), date(2026, 5, 5), date(2026, 2, 2)):
            OpportunityFactory(owner=rep, stage=Opportunity.Stage.CLOSED_WON, close_date=close,
                               license_delivery_date=close)  # fmt: skip
        for quarter, ratings in (("2026-Q3", ["excellent", "good", "good", "neutral", "poor"]), ("2026-Q2", ["good"])):
            CsatResponse.objects.bulk_create(
                CsatResponse(region=rep.region, quarter=quarter, rating=r) for r in ratings
            )
    desk = RepFactory(role="deal_desk", region=None, username="kpi_ui_desk")
    case(owner=desk, responded="2026-07-08 12:00", hours=4.5, request_type="basic_quote_assistance")
    case(owner=desk, responded="2026-08-08 12:00", hours=7.0, request_type="basic_quote_assistance")


def test_manager_changes_period_and_drills_into_a_tile(browser_as, screenshot):
    seed_quarters()
    manager = ManagerFactory(username="kpi_ui_mgr", first_name="Maya", last_name="Manager")
    page = browser_as(manager)

    # The dashboard for Q3 2026, all regions.
    page.goto("/kpis/?period=2026-Q3")
    expect(page.get_by_test_id("period-label")).to_have_text("FY26-Q3 · all regions")
    sla = page.get_by_test_id("tile-approval_sla")
    expect(sla.get_by_test_id("tile-value")).to_have_text("80%")  # 12 of 15 OM decisions within 12 business hours
    expect(sla).to_have_attribute("data-health", "red")
    expect(page.get_by_test_id("tile-csat").get_by_test_id("tile-value")).to_have_text("80%")
    expect(page.get_by_test_id("tile-approval_accuracy").get_by_test_id("tile-value")).to_have_text("91.67%")
    # Chart.js drew the trends (served locally; CSP allows no inline script).
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-rates') && Chart.getChart('chart-won')")
    screenshot(page, "kpi_dashboard")
    page.screenshot(path=str(ARTIFACTS / "kpi_dashboard_full.png"), full_page=True)

    # Changing the period reloads the page for Q2 2026.
    page.select_option("#id_period", "2026-Q2")
    expect(page).to_have_url(re.compile(r"period=2026-Q2"))
    expect(page.get_by_test_id("period-label")).to_have_text("FY26-Q2 · all regions")
    expect(sla.get_by_test_id("tile-value")).to_have_text("100%")
    expect(page.get_by_test_id("tile-approval_accuracy").get_by_test_id("tile-value")).to_have_text("No data")

    # A month, then a region.
    page.fill("[data-kpi-month]", "2026-07")
    page.locator("[data-kpi-month]").dispatch_event("change")
    expect(page.get_by_test_id("period-label")).to_have_text("July 2026 · all regions")
    page.select_option("#id_region", "EMEA")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("period-label")).to_have_text("July 2026 · EMEA")
    expect(sla.get_by_test_id("tile-value")).to_have_text("75%")  # 2, 6, 11 and 14 business hours

    # Clicking the tile lists the decisions behind it.
    sla.click()
    expect(page).to_have_url(re.compile(r"/kpis/drill/approval_sla/\?period=2026-07&region=EMEA"))
    expect(page.get_by_test_id("drill-title")).to_have_text("Approval SLA: submissions decided by Order Management")
    expect(page.get_by_test_id("drill-row")).to_have_count(4)
    expect(page.get_by_test_id("drill-count")).to_have_text("4")

    assert (ARTIFACTS / "kpi_dashboard.png").stat().st_size > 10_000  # docs/screenshots/ is refreshed by hand
