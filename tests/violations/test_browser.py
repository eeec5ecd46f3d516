"""An officer records a first offence on a phone, previews the slip and sees the timeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PHONE, browser_login, csp_refusals

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "law" / "catalogue.yaml"


def test_officer_records_first_offence_prints_slip_sees_timeline(
    personas: Any, live_server: Any, browser: Any, tmp_path: Path
) -> None:
    from nuanxin.laws.loader import catalogue_load
    from nuanxin.violations.models import Violation

    catalogue_load(path=CATALOGUE)
    context = browser.new_context(
        **PHONE,
        geolocation={"latitude": 33.8712, "longitude": 115.7503},
        permissions=["geolocation"],
    )
    page = context.new_page()
    refused = csp_refusals(page)
    page.add_init_script("window.print = () => { window.__printed = true; };")
    browser_login(page, live_server, "officer_a")
    page.goto(f"{live_server.url}/staff/violations/new/")

    page.fill("#tag-q", "sk")
    page.wait_for_selector("#tag-options input[value=open_air_bbq]")
    page.check("#tag-options input[value=open_air_bbq]")
    page.fill("#party-q", "老王")
    merchant_ref = f"merchant:{personas.merchant_shop.pk}"
    page.wait_for_selector(f"#party-options input[value='{merchant_ref}']")
    page.check(f"#party-options input[value='{merchant_ref}']")
    page.fill("input[name=place]", "人民路18号门前")
    page.click("#locate")
    page.wait_for_function("() => document.getElementById('lat').value !== ''")
    page.check("input[name=corrected_promptly]")
    page.click("button[type=submit]")

    page.wait_for_selector("#outcome")
    assert "首违普法教育" in page.inner_text("#outcome")
    assert "第三十三条" in page.inner_text("#reason")
    v = Violation.objects.get()
    assert abs(v.lat - 33.8712) < 1e-4 and abs(v.lng - 115.7503) < 1e-4

    page.click("#print-preview")
    page.wait_for_function(
        "() => { const i = document.querySelector('#slip-preview img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert page.evaluate("document.querySelector('#slip-preview img').naturalWidth") == 384
    page.wait_for_function("() => window.__printed === true")
    page.screenshot(path=str(tmp_path / "slip.png"), full_page=True)

    page.click("#timeline-link")
    page.wait_for_selector("#timeline")
    assert "首违普法教育：露天烧烤" in page.inner_text("#timeline")
    context.close()
    assert not refused, refused
