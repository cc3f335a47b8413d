"""A specialist in real (Debian) headless Chromium clicks Export XLSX on the queue: the browser downloads a workbook
that holds the filtered queue."""

import openpyxl
import pytest
from playwright.sync_api import expect

from approvals import services as approval_services
from tests.ordermgmt.factories import ready_opportunity

pytestmark = pytest.mark.django_db(transaction=True)


def test_export_xlsx_on_the_queue_downloads_the_filtered_queue(browser_as, screenshot, rep, specialist, tmp_path):
    claimed = ready_opportunity(owner=rep, name="Claimed deal")
    free = ready_opportunity(owner=rep, name="Free deal")
    for opp in (claimed, free):
        approval_services.approval_submit(opportunity_id=opp.pk, actor=rep)
    approval_services.approval_claim(opportunity_id=claimed.pk, actor=specialist)
    page = browser_as(specialist)

    page.goto("/queue/?claimed_by=none")
    button = page.get_by_test_id("export-xlsx")
    expect(button).to_be_visible()
    expect(page.get_by_test_id("export-csv")).to_be_visible()
    screenshot(page, "queue_export_buttons")
    with page.expect_download() as download:
        button.click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)

    assert download.value.suggested_filename == "queue-AMER.xlsx"
    sheet = openpyxl.load_workbook(path).active
    assert [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Free deal"]
    assert sheet.freeze_panes == "A2"
