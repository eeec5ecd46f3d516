"""The public verification page and the staff document page, in headless Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nuanxin.documents.samples import sample_context
from nuanxin.documents.services import document_issue
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_citizen_scans_the_qr_and_an_officer_opens_the_document(
    personas: Any, signing_keys: Path, live_server: Any, phone_page: Any, desktop_page: Any
) -> None:
    document = document_issue(
        doc_type="penalty_decision",
        bureau=personas.bureau,
        context=sample_context("penalty_decision"),
        signers=[personas.officer_a, personas.officer_a2],
        by=personas.officer_a,
        subject=personas.merchant_shop,
    )
    # The QR holds SITE_ROOT + path; the citizen's phone opens the same path here.
    phone_page.goto(live_server.url + document.verification.path)
    assert phone_page.text_content("[data-testid=number]") == document.number
    assert phone_page.text_content("[data-testid=sha256]") == document.sha256
    assert "签章有效" in (phone_page.text_content("[data-testid=sig-overall]") or "")
    assert "王大明" not in phone_page.content()
    phone_page.goto(live_server.url + "/v/not-a-real-token")
    assert "未找到该核验码对应的文书" in (phone_page.text_content("[data-testid=not-found]") or "")

    browser_login(desktop_page, live_server, "officer_a")
    desktop_page.goto(f"{live_server.url}/staff/documents/")
    desktop_page.click(f"text={document.number}")
    desktop_page.wait_for_selector("[data-testid=number]")
    assert desktop_page.text_content("[data-testid=number]") == document.number
    assert "刘洋" in desktop_page.content()
    assert "签章有效" in (desktop_page.text_content("[data-testid=sig-overall]") or "")
    response = desktop_page.request.get(f"{live_server.url}/staff/documents/{document.pk}/pdf")
    assert response.ok and response.body().startswith(b"%PDF")
