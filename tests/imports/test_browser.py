"""The import in real (Debian) headless Chromium, under the product's CSP, with a real Celery worker on Redis: upload,
the dry run's result (counts, refused rows with their column and reason, the error report), then the import with
its progress bar polled until done."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from imports.models import ImportRun
from ordermgmt.models import Opportunity
from tests.browser import axe_violations
from tests.imports import files
from tests.ordermgmt.factories import ManagerFactory, RepFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _serious(page) -> list[dict]:
    return [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]


def _watch_csp(page) -> list[str]:
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    return violations


def test_upload_shows_the_dry_run_result_then_the_import_progress(browser_as, screenshot, celery_worker, tmp_path):
    # given: a manager, two reps and a 300-row export with 30 bad rows
    rep_emails = [RepFactory(email="ann@example.com").email, RepFactory(email="bob@example.com").email]
    records, bad = files.rows(300, rep_emails)
    export = tmp_path / "opportunities.csv"
    export.write_bytes(files.to_csv(records))
    page = browser_as(ManagerFactory())
    csp = _watch_csp(page)

    # when: the manager uploads it from the import page
    page.goto("/imports/")
    assert _serious(page) == []
    page.get_by_label("Salesforce export").set_input_files(str(export))
    page.get_by_role("button", name="Check file (dry run)").click()

    # then: the dry run's page polls until the worker is done, then shows what would happen, writing nothing
    expect(page.get_by_test_id("import-status")).to_have_attribute("data-status", "done", timeout=60_000)
    counts = page.get_by_test_id("import-counts")
    expect(counts.locator('[data-count="created"]')).to_have_text("Created: 270")
    expect(counts.locator('[data-count="refused"]')).to_have_text("Refused: 30")
    assert Opportunity.objects.count() == 0
    page.get_by_role("link", name="Refused", exact=True).click()
    rows = page.get_by_test_id("import-rows").locator("tbody tr")
    expect(rows).to_have_count(30)
    expect(rows.first).to_contain_text("Amount")
    expect(rows.first).to_contain_text("required, but empty.")
    expect(page.get_by_test_id("import-error-report")).to_be_visible()
    screenshot(page, "import_dry_run")
    assert _serious(page) == []

    # when: they import it
    page.get_by_test_id("import-start").click()

    # then: the import's page shows its progress bar, polled by htmx until the worker has done every row
    bar = page.get_by_test_id("import-progress-bar")
    expect(bar).to_be_visible()
    seen = set()
    status = page.get_by_test_id("import-status")
    for _ in range(600):
        if status.count() and status.get_attribute("data-status") == "done":
            break
        value = bar.get_attribute("value") if bar.count() else None
        if value is not None:
            seen.add(int(value))
        page.wait_for_timeout(100)
    expect(status).to_have_attribute("data-status", "done", timeout=30_000)
    expect(bar).to_have_attribute("value", "100")
    expect(page.get_by_test_id("import-progress-value")).to_have_text("300 of 300 rows")
    expect(page.get_by_test_id("import-counts").locator('[data-count="created"]')).to_have_text("Created: 270")
    assert bar.evaluate("el => el.getBoundingClientRect().width") > 100  # laid out by app.css, no inline style
    screenshot(page, "import_progress")
    assert Opportunity.objects.count() == 270
    assert csp == []
    print(f"progress values seen while polling: {sorted(seen)}")


def test_the_progress_bar_moves_while_an_import_runs(browser_as, screenshot):
    # given: an import at 40 of 200 rows, watched by a manager (the worker writes progress the same way: an UPDATE)
    manager = ManagerFactory()
    run = ImportRun.objects.create(
        filename="big.csv", format="csv", content="", dry_run=False, status="running", total=200, processed=40,
        created_by=manager,
    )  # fmt: skip
    page = browser_as(manager)
    csp = _watch_csp(page)
    page.goto(f"/imports/runs/{run.pk}/")
    bar = page.get_by_test_id("import-progress-bar")
    expect(bar).to_have_attribute("value", "20")

    # when: the worker gets further
    ImportRun.objects.filter(pk=run.pk).update(processed=150, counts={"created": 140, "refused": 10})

    # then: the polled fragment moves the bar without a reload; finishing reloads the page with the result
    expect(bar).to_have_attribute("value", "75", timeout=8_000)
    expect(page.get_by_test_id("import-progress-value")).to_have_text("150 of 200 rows")
    expect(page.get_by_test_id("import-counts").locator('[data-count="refused"]')).to_have_text("Refused: 10")
    screenshot(page, "import_progress_running")
    ImportRun.objects.filter(pk=run.pk).update(processed=200, status="done", counts={"created": 200})
    expect(page.get_by_test_id("import-status")).to_have_attribute("data-status", "done", timeout=8_000)
    expect(page.get_by_test_id("import-rows")).to_be_visible()
    assert csp == []
