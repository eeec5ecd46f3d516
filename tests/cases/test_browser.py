"""Filing, remote approval and printing from phones, in headless Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PHONE, browser_login, csp_refusals

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "law" / "catalogue.yaml"


def test_officer_files_chief_approves_by_phone_officer_prints(
    personas: Any, live_server: Any, browser: Any, signing_keys: Any, tmp_path: Path
) -> None:
    from nuanxin.cases.models import Case, CaseStatus
    from nuanxin.laws.loader import catalogue_load

    catalogue_load(path=CATALOGUE)
    officer_ctx = browser.new_context(**PHONE)
    officer = officer_ctx.new_page()
    refused = csp_refusals(officer)
    browser_login(officer, live_server, "officer_a")
    officer.goto(f"{live_server.url}/staff/cases/new/?tag=open_air_bbq")
    officer.wait_for_selector("text=裁量基准建议")
    officer.fill("input[name=party_name]", "赵六")
    officer.fill("input[name=place]", "人民路夜市")
    officer.fill("textarea[name=facts]", "在禁止区域露天烧烤。")
    officer.click("button[type=submit]")
    officer.wait_for_selector("#case-status")
    case = Case.objects.get()
    assert case.status == CaseStatus.FILED

    chief_ctx = browser.new_context(**PHONE)
    chief = chief_ctx.new_page()
    chief_refused = csp_refusals(chief)
    browser_login(chief, live_server, "chief")
    chief.goto(f"{live_server.url}/staff/cases/{case.pk}/")
    chief.evaluate("window.__marker = 1")
    chief.fill("textarea[name=opinion]", "同意立案")
    chief.click("#approve-button")
    chief.wait_for_function(
        "() => document.querySelector('#case-status').innerText.includes('调查取证')",
        timeout=20000,
    )
    assert chief.evaluate("window.__marker") == 1  # htmx swapped the panel, no reload
    chief.screenshot(path=str(tmp_path / "chief.png"), full_page=True)

    officer.reload()
    officer.wait_for_selector("a.doc-link[data-doc-type=filing_approval]")
    href = officer.get_attribute("a.doc-link[data-doc-type=filing_approval]", "href")
    pdf = officer.request.get(f"{live_server.url}{href}")
    assert pdf.status == 200 and pdf.body()[:5] == b"%PDF-"
    # 打印 opens the same document in a window of its own; the case page stays where it was.
    case_url = officer.url
    print_link = officer.locator(f'a[data-print][href="{href}"]')
    with officer.expect_popup() as popup_info:
        print_link.click()
    popup = popup_info.value
    popup.wait_for_load_state("commit")
    assert popup.url == f"{live_server.url}{href}" and officer.url == case_url
    assert popup.opener() == officer
    officer_ctx.close()
    chief_ctx.close()
    assert not refused and not chief_refused, (refused, chief_refused)
