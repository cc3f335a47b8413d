"""The navbar in a real browser: a manager's bar fits on one line at 1280 px, the rest of their pages in a menu."""

import re

import pytest
from playwright.sync_api import expect

from tests.ordermgmt.factories import ManagerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_managers_navbar_fits_one_line_at_1280_px(browser_as):
    page = browser_as(ManagerFactory(is_staff=True))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/kpis/")

    navbar = page.locator("nav.navbar")
    brand_height = page.locator(".navbar-brand").bounding_box()["height"]
    assert navbar.bounding_box()["height"] < 2.5 * brand_height  # one row (a wrapped bar is two or more)
    tops = {round(box["y"]) for box in (link.bounding_box() for link in navbar.locator(".nav-link").all()) if box}
    assert len(tops) == 1, tops

    menu = page.get_by_test_id("nav-more")
    menu.get_by_role("button", name="Manage", exact=True).click()
    menu.get_by_role("link", name="Team", exact=True).click()
    expect(page).to_have_url(re.compile(r"/team/$"))
