"""The phone flow in headless Chromium: the case page loads its 证据 section by htmx, the
officer uploads a photo (multipart over htmx), opens the item and verifies it."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import browser_login
from tests.evidence.test_api import PHOTO

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_officer_uploads_and_verifies_evidence_from_the_phone(
    personas: Any, live_server: Any, phone_page: Any, file_case: Any, media: Path, tmp_path: Path
) -> None:
    from nuanxin.evidence.models import EvidenceItem
    from nuanxin.evidence.selectors import evidence_for_subject

    case = file_case()
    photo = tmp_path / "IMG_0003.jpg"
    photo.write_bytes(PHOTO)
    page = phone_page
    browser_login(page, live_server, "officer_a")
    page.goto(f"{live_server.url}/staff/cases/{case.pk}/")
    page.wait_for_selector("#evidence-upload-button")
    page.evaluate("window.__marker = 1")
    page.set_input_files("#evidence-file", str(photo))
    page.fill("#evidence-device", "JZY-0009")
    page.click("#evidence-upload-button")
    page.wait_for_selector("text=证据已上传并固定到本案", timeout=20000)
    assert page.evaluate("window.__marker") == 1  # htmx swapped the section, no reload

    item = EvidenceItem.objects.get()
    assert item.sha256 == hashlib.sha256(PHOTO).hexdigest() and item.device_id == "JZY-0009"
    assert list(evidence_for_subject(case)) == [item]

    page.click(f"a[href='/staff/evidence/{item.pk}/']")
    page.wait_for_selector("#evidence-verify-button")
    page.click("#evidence-verify-button")
    page.wait_for_selector("#verify-result", timeout=20000)
    assert "核验一致" in page.inner_text("#verify-result")


def test_a_scanned_record_is_picked_from_files_not_the_camera(
    personas: Any, live_server: Any, phone_page: Any, file_case: Any, media: Path, tmp_path: Path
) -> None:
    from nuanxin.evidence.models import EvidenceItem
    from tests.evidence.test_services import _scanned_record_pdf

    case = file_case()
    record = tmp_path / "询问笔录.pdf"
    record.write_bytes(_scanned_record_pdf())
    page = phone_page
    browser_login(page, live_server, "officer_a")
    page.goto(f"{live_server.url}/staff/cases/{case.pk}/")
    page.wait_for_selector("#evidence-upload-button")
    assert page.get_attribute("#evidence-file", "capture") == "environment"
    page.select_option("#evidence-kind", "document")
    assert page.get_attribute("#evidence-file", "accept") == "application/pdf"
    assert page.get_attribute("#evidence-file", "capture") is None
    page.set_input_files("#evidence-file", str(record))
    page.fill("#evidence-device", "SCAN-01")
    page.click("#evidence-upload-button")
    page.wait_for_selector("text=证据已上传并固定到本案", timeout=20000)
    item = EvidenceItem.objects.get()
    assert (item.kind, item.mime_type) == ("document", "application/pdf")

    page.select_option("#evidence-kind", "photo")
    assert page.get_attribute("#evidence-file", "capture") == "environment"
