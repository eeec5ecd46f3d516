from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from nuanxin.audit.models import AuditEvent
from nuanxin.core.errors import Conflict, DomainError
from nuanxin.evidence.demo import demo_photo
from nuanxin.evidence.models import CustodyEvent, EvidenceItem
from nuanxin.evidence.selectors import evidence_document_list, evidence_for_subject
from nuanxin.evidence.services import (
    evidence_delete,
    evidence_link,
    evidence_open,
    evidence_update,
    evidence_upload,
    evidence_verify,
)

PHOTO = demo_photo("露天烧烤", 1)


def upload(personas: Any, data: bytes = PHOTO, **kw: Any) -> EvidenceItem:
    params: dict[str, Any] = {
        "file": io.BytesIO(data),
        "kind": "photo",
        "captured_at": timezone.now() - dt.timedelta(minutes=5),
        "lat": 33.87,
        "lng": 115.75,
        "device_id": "JZY-0001",
        "by": personas.officer_a,
    }
    params.update(kw)
    return evidence_upload(**params)


def test_upload_hashes_and_stores_content_addressed(personas: Any, media: Path) -> None:
    item = upload(personas)
    digest = hashlib.sha256(PHOTO).hexdigest()
    assert item.sha256 == digest
    assert item.file.name == f"evidence/{digest[:2]}/{digest}"
    assert (media / item.file.name).read_bytes() == PHOTO
    assert item.mime_type == "image/jpeg"
    assert item.district == personas.district_a  # from the GPS position
    assert [e.action for e in item.custody.all()] == ["uploaded"]
    assert AuditEvent.objects.filter(action="evidence.upload", object_id=str(item.pk)).exists()


def test_the_same_bytes_are_stored_once(personas: Any, media: Path) -> None:
    first = upload(personas)
    second = upload(personas, by=personas.officer_a2)
    assert first.file.name == second.file.name
    assert len(list((media / "evidence").rglob("*"))) == 2  # one folder, one file


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"kind": "drawing"}, "bad_kind"),
        ({"kind": "video"}, "bad_type"),  # a JPEG is not a video
        ({"data": b"MZ\x90\x00 not a photo"}, "bad_type"),
        ({"data": b""}, "empty_file"),
        ({"device_id": " "}, "device_required"),
        ({"lat": 95.0}, "bad_position"),
        ({"lng": None}, "bad_position"),
        ({"captured_at": timezone.now() + dt.timedelta(hours=2)}, "future_time"),
        ({"captured_at": dt.datetime(2026, 1, 1, 12)}, "naive_time"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(
    kw: dict[str, Any], code: str, personas: Any, media: Path
) -> None:
    data = kw.pop("data", PHOTO)
    with pytest.raises(DomainError) as exc:
        upload(personas, data, **kw)
    assert exc.value.code == code
    assert not EvidenceItem.objects.exists()
    assert not (media / "evidence").exists()


def test_size_limits_apply_per_kind(personas: Any, media: Path, monkeypatch: Any) -> None:
    from nuanxin.evidence import services
    from nuanxin.evidence.models import EvidenceKind

    monkeypatch.setitem(services.MAX_MB, EvidenceKind.PHOTO, 0)
    with pytest.raises(DomainError) as exc:
        upload(personas)
    assert exc.value.code == "too_large"


def test_audio_and_video_are_recognised(personas: Any, media: Path) -> None:
    wav = b"RIFF" + (36).to_bytes(4, "little") + b"WAVEfmt " + b"\x00" * 40
    mp4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 40
    assert upload(personas, wav, kind="audio").mime_type == "audio/wav"
    assert upload(personas, mp4, kind="video").mime_type == "video/mp4"


def _scanned_record_pdf() -> bytes:
    """A real one-page PDF, as a scanner or the notes app on a phone would make."""
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "Inquiry record 2026-11-28")
    page.save()
    return out.getvalue()


def test_a_pdf_is_kept_as_a_document_and_refused_as_anything_else(
    personas: Any, media: Path
) -> None:
    pdf = _scanned_record_pdf()
    item = upload(personas, pdf, kind="document", original_name="询问笔录.pdf")
    assert (item.kind, item.mime_type) == ("document", "application/pdf")
    assert (media / item.file.name).read_bytes() == pdf
    with pytest.raises(DomainError) as exc:
        upload(personas, pdf, kind="photo")
    assert exc.value.code == "bad_type"
    with pytest.raises(DomainError) as exc:
        upload(personas, PHOTO, kind="document")
    assert exc.value.code == "bad_type" and "pdf" in exc.value.message


def test_linked_evidence_is_immutable(personas: Any, media: Path) -> None:
    item = upload(personas)
    evidence_update(item=item, by=personas.officer_a, note="烧烤摊全景")
    evidence_link(item=item, subject=personas.merchant_shop, by=personas.officer_a)
    assert item.is_locked
    with pytest.raises(Conflict) as exc:
        evidence_update(item=item, by=personas.officer_a, note="改动")
    assert exc.value.code == "evidence_locked"
    with pytest.raises(Conflict):
        evidence_delete(item=item, by=personas.chief)
    item.refresh_from_db()
    assert item.note == "烧烤摊全景"
    assert (media / item.file.name).exists()
    assert list(evidence_for_subject(personas.merchant_shop)) == [item]
    assert evidence_document_list(personas.merchant_shop)[0]["sha256"] == item.sha256
    with pytest.raises(Conflict):
        evidence_link(item=item, subject=personas.merchant_shop, by=personas.officer_a)


def test_an_unlinked_upload_can_be_withdrawn(personas: Any, media: Path) -> None:
    item = upload(personas)
    name = item.file.name
    evidence_delete(item=item, by=personas.officer_a)
    assert not EvidenceItem.objects.exists()
    assert not (media / name).exists()
    assert AuditEvent.objects.filter(action="evidence.delete").exists()


def test_the_chain_of_custody_records_each_step(personas: Any, media: Path) -> None:
    item = upload(personas)
    evidence_link(item=item, subject=personas.merchant_shop, by=personas.officer_a)
    with evidence_open(item=item, by=personas.chief) as handle:
        assert handle.read() == PHOTO
    evidence_open(item=item, by=personas.reviewer, export=True).close()
    evidence_verify()
    log = list(item.custody.order_by("at", "pk").values_list("action", "actor_label"))
    assert log == [
        ("uploaded", "officer_a"),
        ("linked", "officer_a"),
        ("viewed", "chief"),
        ("exported", "reviewer"),
        ("verified", "system:evidence_verify"),
    ]


def test_a_tampered_or_missing_file_is_caught(personas: Any, media: Path) -> None:
    good = upload(personas)
    tampered = upload(personas, demo_photo("占道经营", 2))
    missing = upload(personas, demo_photo("乱张贴", 3))
    evidence_link(item=tampered, subject=personas.merchant_shop, by=personas.officer_a)
    path = media / tampered.file.name
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    (media / missing.file.name).unlink()

    checked, problems = evidence_verify()
    assert checked == 3
    assert {(p.item_id, p.problem) for p in problems} == {
        (tampered.pk, "changed"),
        (missing.pk, "missing"),
    }
    assert CustodyEvent.objects.filter(item=good, action="verified").exists()
    assert CustodyEvent.objects.filter(item=tampered, action="verify_failed").exists()

    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("evidence_verify", stderr=err)
    assert "2 of 3" in str(exc.value)
    assert f"CHANGED: evidence #{tampered.pk} {tampered.file.name}" in err.getvalue()
    assert f"MISSING: evidence #{missing.pk} {missing.file.name}" in err.getvalue()


def test_evidence_verify_passes_when_all_is_intact(personas: Any, media: Path) -> None:
    upload(personas)
    out = io.StringIO()
    call_command("evidence_verify", stdout=out)
    assert "all 1 files intact" in out.getvalue()
