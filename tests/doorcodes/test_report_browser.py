"""A citizen scans a code that is not the bureau's, lets the phone locate, and reports
where it hangs: in a real browser, with the site's CSRF and Content-Security-Policy on
(the form carried no CSRF token, so every real report was refused; the test client, which
skips CSRF checks, never noticed)."""

from __future__ import annotations

from typing import Any

import pytest

from nuanxin.doorcodes.models import CounterfeitScan
from tests.conftest import PHONE, csp_refusals


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_citizen_reports_where_a_fake_code_hangs(live_server: Any, browser: Any, personas):
    context = browser.new_context(
        **PHONE,
        geolocation={"latitude": 33.8712, "longitude": 115.7503},
        permissions=["geolocation"],
    )
    page = context.new_page()
    refused = csp_refusals(page)
    page.goto(f"{live_server.url}/q/fake-plate-123")
    assert "此码无效" in page.inner_text("#invalid-title")
    page.fill("input[name=note]", "人民路口的烧烤店")
    page.click("#btn-report")
    page.wait_for_url("**/q/_report")
    assert "感谢举报" in page.inner_text("h1")
    scan = CounterfeitScan.objects.get()
    assert abs(scan.lat - 33.8712) < 1e-4 and scan.report_note == "人民路口的烧烤店"
    assert scan.district == personas.district_a
    context.close()
    assert not refused, refused


def test_the_report_form_carries_a_csrf_token(client: Any, db: Any) -> None:
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    page = strict.get("/q/fake-plate-123")
    token = page.context["csrf_token"]
    report = page.context["report_token"]
    assert f'name="csrfmiddlewaretoken" value="{token}"' in page.content.decode()
    answer = strict.post(
        "/q/_report",
        {"report": report, "lat": "33.87", "lng": "115.75", "csrfmiddlewaretoken": token},
    )
    assert answer.status_code == 200
