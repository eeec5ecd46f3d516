from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse

from nuanxin.evidence import services as evidence_services
from nuanxin.evidence.models import CustodyAction, EvidenceItem, EvidenceKind, EvidenceLink
from nuanxin.evidence.selectors import evidence_for_subject
from nuanxin.evidence.services import evidence_link, evidence_storage_name, evidence_upload
from tests.evidence.test_api import PHOTO


def upload(client: Any, case: Any, content: bytes = PHOTO, htmx: bool = True, **extra: Any) -> Any:
    data = {
        "file": SimpleUploadedFile("IMG_0002.jpg", content, content_type="image/jpeg"),
        "kind": "photo",
        "captured_at": "2026-06-12T21:05",
        "device_id": "JZY-0007",
        "note": "店外摆放桌椅",
        "lat": "",
        "lng": "",
        **extra,
    }
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(reverse("evidence:case", args=[case.pk]), data, **headers)


def photo_by(officer: Any, device_id: str) -> EvidenceItem:
    """A photo taken five minutes ago without a position, uploaded by `officer`."""
    import datetime as dt

    from django.utils import timezone

    return evidence_upload(
        file=SimpleUploadedFile(f"{device_id}.jpg", PHOTO),
        kind=EvidenceKind.PHOTO,
        captured_at=timezone.now() - dt.timedelta(minutes=5),
        lat=None,
        lng=None,
        device_id=device_id,
        by=officer,
    )


@pytest.fixture
def linked_item(personas: Any, file_case: Any, media: Path) -> Any:
    case = file_case()
    item = photo_by(personas.officer_a, "JZY-0007")
    evidence_link(item=item, subject=case, by=personas.officer_a)
    return item


def test_officer_uploads_a_photo_to_the_case(
    personas: Any, client_for: Any, file_case: Any, media: Path
) -> None:
    case = file_case()
    response = upload(client_for(personas.officer_a), case)
    assert response.status_code == 200
    page = response.content.decode()
    assert "证据已上传并固定到本案" in page
    item = EvidenceItem.objects.get()
    assert item.sha256 == hashlib.sha256(PHOTO).hexdigest()
    assert item.sha256[:12] in page
    assert item.is_locked and item.uploaded_by == personas.officer_a
    assert list(evidence_for_subject(case)) == [item]
    assert item.captured_at.utcoffset() is not None
    assert item.captured_at.isoformat().startswith("2026-06-12T13:05")  # 21:05 Shanghai
    assert (media / evidence_storage_name(item.sha256)).read_bytes() == PHOTO
    actions = list(item.custody.values_list("action", flat=True))
    assert actions == [CustodyAction.UPLOADED, CustodyAction.LINKED]


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        (b"", {}, "文件为空"),
        (b"%PDF-1.7 not a photo", {}, "文件格式不符合"),
        (PHOTO, {"device_id": " "}, "请注明采集设备编号"),
        (PHOTO, {"kind": "drawing"}, "证据类型必须是照片、视频、录音或书证"),
        (PHOTO, {"kind": "document"}, "文件格式不符合“书证（PDF）”：支持 pdf"),
        (PHOTO, {"lat": "北纬"}, "纬度格式不正确"),
    ],
)
def test_a_bad_upload_shows_a_chinese_error_and_stores_nothing(
    content: bytes,
    extra: dict[str, str],
    message: str,
    personas: Any,
    client_for: Any,
    file_case: Any,
    media: Path,
) -> None:
    case = file_case()
    response = upload(client_for(personas.officer_a), case, content=content, **extra)
    assert message in response.content.decode()
    assert not EvidenceItem.objects.exists() and not EvidenceLink.objects.exists()


def test_a_too_large_file_is_refused_without_htmx(
    personas: Any, client_for: Any, file_case: Any, media: Path, monkeypatch: Any
) -> None:
    monkeypatch.setitem(evidence_services.MAX_MB, EvidenceKind.PHOTO, 0)
    case = file_case()
    response = upload(client_for(personas.officer_a), case, htmx=False)
    assert response.status_code == 400
    assert "文件过大" in response.content.decode()
    assert not EvidenceItem.objects.exists()


def test_a_missing_file_is_refused(
    personas: Any, client_for: Any, file_case: Any, media: Path
) -> None:
    case = file_case()
    response = client_for(personas.officer_a).post(
        reverse("evidence:case", args=[case.pk]), {"kind": "photo", "device_id": "X"}
    )
    assert "请选择要上传的证据文件" in response.content.decode()
    assert not EvidenceItem.objects.exists()


def test_case_page_lists_the_evidence_section(
    personas: Any, client_for: Any, linked_item: Any
) -> None:
    link = EvidenceLink.objects.get(item=linked_item)
    client = client_for(personas.officer_a)
    detail = client.get(reverse("cases:detail", args=[link.subject_id])).content.decode()
    assert reverse("evidence:case", args=[link.subject_id]) in detail
    section = client.get(
        reverse("evidence:case", args=[link.subject_id]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert linked_item.sha256[:12] in section
    assert 'capture="environment"' in section
    assert reverse("evidence:detail", args=[linked_item.pk]) in section


@pytest.mark.parametrize(
    ("persona", "status"),
    [("officer_b", 404), ("merchant", 403), ("outsider", 403), ("operator_admin", 403)],
)
def test_wrong_persona_cannot_see_or_upload_to_the_case(
    persona: str, status: int, personas: Any, client_for: Any, file_case: Any, media: Path
) -> None:
    case = file_case()
    client = client_for(getattr(personas, persona))
    assert client.get(reverse("evidence:case", args=[case.pk])).status_code == status
    assert upload(client, case).status_code == status
    assert not EvidenceItem.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("officer_b", 404), ("merchant", 403), ("outsider", 403), ("operator_admin", 403)],
)
def test_wrong_persona_cannot_open_verify_or_fetch_an_item(
    persona: str, status: int, personas: Any, client_for: Any, linked_item: Any
) -> None:
    client = client_for(getattr(personas, persona))
    pk = linked_item.pk
    assert client.get(reverse("evidence:detail", args=[pk])).status_code == status
    assert client.post(reverse("evidence:verify", args=[pk])).status_code == status
    assert client.get(reverse("evidence:file", args=[pk])).status_code == status
    actions = set(linked_item.custody.values_list("action", flat=True))
    assert actions == {CustodyAction.UPLOADED, CustodyAction.LINKED}


def test_anonymous_is_sent_to_login(client: Any, personas: Any, linked_item: Any) -> None:
    link = EvidenceLink.objects.get(item=linked_item)
    urls = [
        reverse("evidence:case", args=[link.subject_id]),
        reverse("evidence:detail", args=[linked_item.pk]),
        reverse("evidence:file", args=[linked_item.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(reverse("evidence:verify", args=[linked_item.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_item_page_shows_metadata_and_custody_log(
    personas: Any, client_for: Any, linked_item: Any
) -> None:
    page = (
        client_for(personas.reviewer)
        .get(reverse("evidence:detail", args=[linked_item.pk]))
        .content.decode()
    )
    assert linked_item.sha256 in page and "JZY-0007" in page
    assert "上传" in page and "关联" in page
    assert reverse("evidence:file", args=[linked_item.pk]) in page
    assert "/media/" not in page and "evidence/" + linked_item.sha256[:2] not in page


def test_viewing_and_downloading_go_through_custody(
    personas: Any, client_for: Any, linked_item: Any
) -> None:
    client = client_for(personas.officer_a)
    url = reverse("evidence:file", args=[linked_item.pk])
    shown = client.get(url)
    assert b"".join(shown.streaming_content) == PHOTO
    assert shown["X-Evidence-SHA256"] == linked_item.sha256
    exported = client.get(url + "?export=1")
    assert "attachment" in exported["Content-Disposition"]
    assert exported["Content-Disposition"].endswith('.jpg"')
    b"".join(exported.streaming_content)
    actions = list(linked_item.custody.values_list("action", flat=True))
    assert actions[-2:] == [CustodyAction.VIEWED, CustodyAction.EXPORTED]


def test_verify_shows_ok_then_detects_a_tampered_file(
    personas: Any, client_for: Any, linked_item: Any, media: Path
) -> None:
    client = client_for(personas.officer_a)
    url = reverse("evidence:verify", args=[linked_item.pk])
    ok = client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert "核验一致" in ok and "核验不一致" not in ok
    (media / evidence_storage_name(linked_item.sha256)).write_bytes(PHOTO + b"tampered")
    bad = client.post(url).content.decode()
    assert "核验不一致：存储文件已被改动" in bad
    assert hashlib.sha256(PHOTO + b"tampered").hexdigest() in bad
    actions = list(linked_item.custody.values_list("action", flat=True))
    assert actions[-2:] == [CustodyAction.VERIFIED, CustodyAction.VERIFY_FAILED]


def test_verify_reports_a_missing_file(
    personas: Any, client_for: Any, linked_item: Any, media: Path
) -> None:
    (media / evidence_storage_name(linked_item.sha256)).unlink()
    page = (
        client_for(personas.chief)
        .post(reverse("evidence:verify", args=[linked_item.pk]))
        .content.decode()
    )
    assert "核验不一致：存储文件缺失" in page


def test_the_item_page_speaks_english(personas: Any, client_for: Any, linked_item: Any) -> None:
    from django.utils import translation

    # The request activates English in this thread; restore it so later tests stay Chinese.
    with translation.override(None):
        page = (
            client_for(personas.officer_a)
            .get(reverse("evidence:detail", args=[linked_item.pk]), HTTP_ACCEPT_LANGUAGE="en")
            .content.decode()
        )
    assert "Verify integrity" in page and "Chain of custody" in page


def test_an_item_linked_to_a_visible_case_is_visible_wherever_it_was_taken(
    personas: Any, client_for: Any, file_case: Any, media: Path
) -> None:
    """A photo uploaded by a district-B officer, placed in district B by its GPS, then linked
    to a district-A case: district A's other officers see it with the case; district B's
    unlinked items stay hidden from them."""

    from nuanxin.evidence.access import access_evidence

    def item_in_b() -> EvidenceItem:
        item = photo_by(personas.officer_b, "JZY-0101")
        EvidenceItem.objects.filter(pk=item.pk).update(district=personas.district_b)
        return item

    case = file_case()
    linked, unlinked = item_in_b(), item_in_b()
    evidence_link(item=linked, subject=case, by=personas.officer_b)

    reader = personas.officer_a2
    assert access_evidence(reader, linked.pk) == linked
    with pytest.raises(Http404):
        access_evidence(reader, unlinked.pk)
    client = client_for(reader)
    assert client.get(reverse("evidence:detail", args=[linked.pk])).status_code == 200
    assert client.get(reverse("evidence:detail", args=[unlinked.pk])).status_code == 404
    assert linked in evidence_for_subject(case)
