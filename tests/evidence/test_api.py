from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from nuanxin.evidence.demo import demo_photo
from nuanxin.evidence.models import EvidenceItem

PHOTO = demo_photo("店外经营", 7)


def post_photo(client: Any, **extra: Any) -> Any:
    data = {
        "file": SimpleUploadedFile("IMG_0001.jpg", PHOTO, content_type="image/jpeg"),
        "kind": "photo",
        "captured_at": "2026-06-12T21:05:00+08:00",
        "lat": "33.86",
        "lng": "115.74",
        "device_id": "JZY-0007",
        **extra,
    }
    return client.post("/api/v1/evidence/", data)


def test_an_officer_uploads_from_the_phone(personas: Any, client_for: Any, media: Path) -> None:
    response = post_photo(client_for(personas.officer_a))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sha256"] == hashlib.sha256(PHOTO).hexdigest()
    assert body["device_id"] == "JZY-0007"
    assert body["locked"] is False
    item = EvidenceItem.objects.get(pk=body["id"])
    assert item.uploaded_by == personas.officer_a
    assert item.original_name == "IMG_0001.jpg"


def test_a_bad_upload_gets_a_specific_error(personas: Any, client_for: Any, media: Path) -> None:
    response = post_photo(client_for(personas.officer_a), kind="video")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_type"


@pytest.mark.parametrize("persona", ["merchant", "outsider", "operator_admin"])
def test_non_staff_cannot_upload(persona: str, personas: Any, client_for: Any, media: Path) -> None:
    assert post_photo(client_for(getattr(personas, persona))).status_code == 403
    assert not EvidenceItem.objects.exists()


def test_anonymous_upload_is_refused(client: Any, personas: Any, media: Path) -> None:
    assert post_photo(client).status_code == 401


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("officer_a", 200),
        ("officer_a2", 200),  # same district
        ("chief", 200),
        ("officer_b", 404),  # other district
        ("merchant", 403),
        ("outsider", 403),
    ],
)
def test_reading_evidence_checks_access(
    persona: str, status: int, personas: Any, client_for: Any, media: Path
) -> None:
    item_id = post_photo(client_for(personas.officer_a)).json()["id"]
    client = client_for(getattr(personas, persona))
    detail = client.get(f"/api/v1/evidence/{item_id}")
    file = client.get(f"/api/v1/evidence/{item_id}/file")
    assert (detail.status_code, file.status_code) == (status, status)
    if status == 200:
        assert b"".join(file.streaming_content) == PHOTO
        assert file["X-Evidence-SHA256"] == detail.json()["sha256"]
        actions = [e["action"] for e in client.get(f"/api/v1/evidence/{item_id}").json()["custody"]]
        assert actions == ["uploaded", "viewed"]
    listing = client.get("/api/v1/evidence/")
    if status == 200:
        assert [i["id"] for i in listing.json()] == [item_id]
    elif status == 404:
        assert listing.json() == []
