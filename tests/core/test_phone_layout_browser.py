"""On a 390 px phone no page is wider than the screen, and a maintenance worker reads each
notice as a card with its deadline in view (the table used to push it off-screen)."""

from __future__ import annotations

import pytest

from nuanxin.notices.models import Notice
from tests.conftest import browser_login
from tests.notices.test_loop import violate

PAGE_WIDTH = "document.documentElement.scrollWidth"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_operator_portal_stacks_notices_into_cards_on_a_phone(live_server, phone_page, personas):
    from tests.compliance.factories import LAT0, LNG0, make_bike, make_spot, make_worker, offset

    make_spot("S1")
    bike = make_bike(personas.operator)
    worker = make_worker(personas.operator, "worker_phone", *offset(LAT0, LNG0, 100, 50))
    violate(bike)
    notice = Notice.objects.get(bike=bike)

    page = phone_page
    browser_login(page, live_server, worker.user.username)
    page.goto(f"{live_server.url}/operator/")
    assert page.evaluate(PAGE_WIDTH) <= 390
    row = page.locator(f"#open-notices tr[data-number='{notice.number}']")
    assert row.evaluate("tr => getComputedStyle(tr).display") == "block"
    deadline = row.locator("td[data-label='整改期限']")
    box = deadline.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    assert page.locator("#open-notices thead").is_hidden()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_pages_fit_a_phone(live_server, phone_page, personas):
    page = phone_page
    browser_login(page, live_server, personas.dispatcher.username)
    for path in ("/staff/", "/staff/complaints/", "/staff/cases/", "/dashboard/fleet/"):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate(PAGE_WIDTH) <= 390, path


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_status_filter_applies_as_soon_as_it_is_chosen(live_server, phone_page, personas):
    page = phone_page
    browser_login(page, live_server, personas.chief.username)
    page.goto(f"{live_server.url}/staff/cases/")
    page.select_option("select[name=status][data-autosubmit]", "investigating")
    page.wait_for_url("**/staff/cases/?status=investigating")
