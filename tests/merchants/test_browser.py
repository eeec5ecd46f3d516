"""The registry in headless Chromium: htmx filtering without a reload, detail, portal."""

from __future__ import annotations

import pytest

from tests.conftest import browser_login
from tests.merchants.helpers import add_licence, make_merchant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_filter_live_and_open_detail(personas, live_server, desktop_page, tmp_path):
    south = make_merchant(personas.district_b, name="芍花路水果店", street="芍花街道")
    add_licence(south, "business", days_left=-5, n=1)
    page = desktop_page
    browser_login(page, live_server, "chief")
    page.goto(f"{live_server.url}/staff/merchants/")
    page.wait_for_selector("text=老王烧烤店")
    page.evaluate("window.__marker = 1")  # survives only if the page is not reloaded
    page.fill("input[name=q]", "水果")
    page.wait_for_function(
        "() => !document.querySelector('#results').innerText.includes('老王烧烤店')", timeout=10000
    )
    assert "芍花路水果店" in page.inner_text("#results")
    assert page.evaluate("window.__marker") == 1
    assert "q=" in page.url  # hx-push-url keeps the filter in the address bar
    page.fill("input[name=q]", "")
    page.select_option("select[name=licence_state]", "expired")
    page.wait_for_function(
        "() => document.querySelector('#results').innerText.includes('共 1 户')", timeout=10000
    )
    page.click("text=芍花路水果店")
    page.wait_for_selector("h1:has-text('芍花路水果店')")
    assert "已过期" in page.inner_text("main")
    page.screenshot(path=str(tmp_path / "detail.png"), full_page=True)


def test_merchant_portal_in_a_phone(personas, live_server, phone_page):
    page = phone_page
    browser_login(page, live_server, "merchant")
    page.goto(f"{live_server.url}/portal/")
    page.click("text=老王烧烤店")
    page.wait_for_selector("h1:has-text('老王烧烤店')")
    body = page.inner_text("main")
    assert "BL-TEST-0001" in body and "基础分" in body
