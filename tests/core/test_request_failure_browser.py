"""A fragment request that fails tells the user so (htmx leaves the page as it was on a 4xx,
which looked like a search that found nothing)."""

from __future__ import annotations

import pytest

from nuanxin.accounts.models import User
from tests.conftest import browser_login


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_search_refused_midway_shows_why_it_did_nothing(live_server, phone_page, personas):
    page = phone_page
    browser_login(page, live_server, personas.officer_a.username)
    page.goto(f"{live_server.url}/staff/violations/new/")
    assert page.locator("#request-failed").count() == 0
    # The officer's role is withdrawn while the form is open (the bureau admin's change).
    User.objects.filter(pk=personas.officer_a.pk).update(role="")
    page.fill("#tag-q", "sk")
    alert = page.locator("#request-failed li.error")
    alert.wait_for()
    assert "操作未完成" in alert.inner_text()
