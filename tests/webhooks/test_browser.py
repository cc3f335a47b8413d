"""In Chromium: a manager registers an endpoint, copies its secret, sends a test event that a real Celery worker
delivers to a real local receiver, and reads the delivery log. axe-core finds nothing serious on either page."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser import axe_violations
from tests.ordermgmt.factories import ManagerFactory
from tests.webhooks.receiver import Receiver
from webhooks import signing
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_registers_an_endpoint_and_sends_a_test_event_end_to_end(browser_as, screenshot, celery_worker):
    manager = ManagerFactory(username="hooks_mgr")
    page = browser_as(manager)
    with Receiver() as receiver:
        # given: the manager finds Webhooks from the API tokens page
        page.goto("/tokens/")
        page.get_by_test_id("webhooks-link").click()
        expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()

        # when: they register the receiver for two kinds
        form = page.get_by_test_id("endpoint-form")
        form.get_by_label("URL").fill(receiver.url)
        form.get_by_label("Description").fill("Billing system")
        form.get_by_role("checkbox", name=re.compile(r"^case\.opened")).check()
        form.get_by_role("checkbox", name=re.compile(r"^opportunity\.closed_won")).check()
        form.get_by_role("button", name="Register").click()

        # then: the secret is shown once
        issued = page.get_by_test_id("issued-secret")
        expect(issued).to_contain_text("whsec_")
        secret = WebhookEndpoint.objects.get().secret
        expect(issued).to_contain_text(secret)
        blocking = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
        assert not blocking, blocking
        page.goto("/webhooks/")
        expect(page.get_by_test_id("issued-secret")).to_have_count(0)
        expect(page.get_by_test_id("endpoint-row")).to_have_count(1)

        # when: they open it and send a test event; the worker delivers it
        page.get_by_role("link", name=receiver.url[:57], exact=False).click()
        page.get_by_test_id("send-test").click()
        expect(page.get_by_role("status").or_(page.locator(".alert-success")).first).to_contain_text("Test event")
        for _ in range(100):
            if receiver.requests:
                break
            page.wait_for_timeout(100)
        page.reload()

        # then: the log shows the delivery and its attempt; the receiver can verify the signature
        deliveries = page.get_by_test_id("deliveries")
        expect(deliveries).to_contain_text("webhook.test")
        expect(deliveries).to_contain_text("delivered")
        expect(page.get_by_test_id("attempt-log")).to_contain_text("200")
        blocking = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
        assert not blocking, blocking
        screenshot(page, "webhook_endpoint")

    [request] = receiver.requests
    assert signing.verify(secret=secret, header=request.headers[signing.SIGNATURE_HEADER], body=request.body)
