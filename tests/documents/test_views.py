from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage

from nuanxin.documents.models import Document
from nuanxin.documents.samples import sample_context
from nuanxin.documents.services import document_issue, verification_register


@pytest.fixture
def decision(personas: Any, signing_keys: Path) -> Document:
    return document_issue(
        doc_type="penalty_decision",
        bureau=personas.bureau,
        context=sample_context("penalty_decision"),
        signers=[personas.officer_a, personas.officer_a2],
        by=personas.officer_a,
        subject=personas.merchant_shop,  # in district A
    )


def test_the_public_page_confirms_a_genuine_document(client: Any, decision: Document) -> None:
    response = client.get(decision.verification.path)
    assert response.status_code == 200
    html = response.content.decode()
    assert decision.number in html
    assert decision.sha256 in html
    assert "亳州市城市管理局" in html
    assert 'data-testid="sig-overall">签章有效' in html
    # No personal data: neither the party nor the officers are named.
    for private in ["王大明", "老王烧烤店", "92341602MA2TE8K028", "张明", "刘洋"]:
        assert private not in html


def test_the_public_page_offers_the_original_to_the_holder(client: Any, decision: Document) -> None:
    response = client.get(f"{decision.verification.path}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_an_unknown_or_forged_token_gets_a_404_page(client: Any, db: Any) -> None:
    response = client.get("/v/forged-token-123")
    assert response.status_code == 404
    assert "未找到该核验码对应的文书" in response.content.decode()
    assert client.get("/v/forged-token-123/pdf").status_code == 404


def test_a_changed_stored_file_is_shown_as_altered(client: Any, decision: Document) -> None:
    name = decision.pdf.name
    data = default_storage.open(name).read()
    default_storage.delete(name)
    default_storage.save(name, __import__("io").BytesIO(data.replace(b"/Title", b"/Xitle", 1)))
    html = client.get(decision.verification.path).content.decode()
    assert "文书原件已被改动" in html
    assert "签章有效" not in html


def test_a_generic_record_verifies_without_a_document(client: Any, db: Any) -> None:
    from django.utils import timezone

    record = verification_register(
        kind="slip",
        number="WX-2026-000001",
        issued_at=timezone.now(),
        agency_name="亳州市城市管理局",
        sha256="b" * 64,
        title="温馨提示单",
    )
    assert record.url.endswith(record.path)
    html = client.get(record.path).content.decode()
    assert "WX-2026-000001" in html and "温馨提示单" in html


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("officer_a", 200),  # the subject is in district A
        ("officer_a2", 200),
        ("chief", 200),  # city-wide
        ("reviewer", 200),
        ("officer_b", 404),  # other district: not found
        ("merchant", 403),  # the party uses the verification page only
        ("outsider", 403),
        ("operator_admin", 403),
    ],
)
def test_document_pages_check_access(
    persona: str, status: int, personas: Any, client_for: Any, decision: Document
) -> None:
    client = client_for(getattr(personas, persona))
    detail = client.get(f"/staff/documents/{decision.pk}/")
    pdf = client.get(f"/staff/documents/{decision.pk}/pdf")
    assert (detail.status_code, pdf.status_code) == (status, status)
    listing = client.get("/staff/documents/")
    if status == 200:
        assert decision.number in detail.content.decode()
        assert pdf.content.startswith(b"%PDF")
        assert decision.number in listing.content.decode()
    elif status == 404:
        assert decision.number not in listing.content.decode()
    else:
        assert listing.status_code == 403


def test_anonymous_visitors_are_sent_to_login(client: Any, decision: Document) -> None:
    response = client.get(f"/staff/documents/{decision.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_api_reports_signature_status(
    personas: Any, client_for: Any, decision: Document
) -> None:
    body = client_for(personas.chief).get(f"/api/v1/documents/{decision.pk}").json()
    assert body["number"] == decision.number
    assert body["signatures_valid"] is True
    assert len(body["signatures"]) == 3
    assert client_for(personas.officer_b).get(f"/api/v1/documents/{decision.pk}").status_code == 404


def test_seal_keys_demo_is_idempotent(personas: Any, settings: Any, tmp_path: Path) -> None:
    from io import StringIO

    from django.core.management import call_command

    settings.SIGNING_KEYS_DIR = tmp_path / "keys"
    out = StringIO()
    call_command("seal_keys_demo", stdout=out)
    assert "1 new seal(s)" in out.getvalue()
    first = (tmp_path / "keys" / "seal-341600-CGJ" / "cert.pem").read_bytes()
    out = StringIO()
    call_command("seal_keys_demo", stdout=out)
    assert "0 new seal(s), 0 new personal key(s)" in out.getvalue()
    assert (tmp_path / "keys" / "seal-341600-CGJ" / "cert.pem").read_bytes() == first
    assert (tmp_path / "keys" / "user-officer_a" / "appearance.png").exists()
