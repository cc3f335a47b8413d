"""Shared Playwright fixtures (Debian's Chromium, never a downloaded browser), loaded by tests/conftest.py."""

import os

# Playwright's sync API runs an event loop in the test thread; the ORM calls in the browser tests' bodies are
# still synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium():
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def browser_as(chromium, live_server):
    """`browser_as(user)` -> a page in a fresh browser context signed in as `user` (session cookie)."""
    from django.conf import settings
    from django.test import Client

    contexts = []

    def _open(user=None):
        context = chromium.new_context(viewport={"width": 1440, "height": 900}, base_url=live_server.url)
        context.set_default_timeout(10_000)
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    ARTIFACTS.mkdir(exist_ok=True)

    def _shot(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        return path

    return _shot


AXE_JS = "/static/vendor/axe-core/axe.min.js"  # `make vendor` copies it; served by the live server, no page loads it


def axe_violations(page) -> list[dict]:
    """Run axe-core (the vendored copy, added by URL so the page's CSP allows it) on the page as it stands; each
    violation as {id, impact, help, nodes: [(selector, summary), ...]}."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(url=AXE_JS)
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [(" ".join(map(str, n["target"])), n.get("failureSummary", "")) for n in v["nodes"]],
        }
        for v in found
    ]
