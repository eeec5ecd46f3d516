"""/api/v1/evidence/: the officer's phone uploads photos, video and audio here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from nuanxin.accounts.auth import staff_auth
from nuanxin.core.access import STAFF_ROLES, require_role
from nuanxin.core.http import client_ip
from nuanxin.evidence.access import access_evidence, evidence_visible_to
from nuanxin.evidence.models import EvidenceItem
from nuanxin.evidence.selectors import custody_log
from nuanxin.evidence.services import evidence_open, evidence_upload

router = Router(tags=["evidence"], auth=staff_auth)


def _caller(request: HttpRequest) -> Any:
    return getattr(request, "auth", None)


class CustodyOut(Schema):
    action: str
    actor: str
    at: dt.datetime


class EvidenceOut(Schema):
    id: int
    sha256: str
    kind: str
    mime_type: str
    size: int
    captured_at: dt.datetime
    lat: float | None
    lng: float | None
    device_id: str
    uploaded_by: str
    uploaded_at: dt.datetime
    locked: bool
    file_url: str


class EvidenceDetailOut(EvidenceOut):
    custody: list[CustodyOut]


def _out(item: EvidenceItem) -> dict:
    return {
        "id": item.pk,
        "sha256": item.sha256,
        "kind": item.kind,
        "mime_type": item.mime_type,
        "size": item.size,
        "captured_at": item.captured_at,
        "lat": item.lat,
        "lng": item.lng,
        "device_id": item.device_id,
        "uploaded_by": str(item.uploaded_by),
        "uploaded_at": item.uploaded_at,
        "locked": item.is_locked,
        "file_url": f"/api/v1/evidence/{item.pk}/file",
    }


@router.post("/", response={201: EvidenceOut})
def evidence_create(
    request: HttpRequest,
    file: File[UploadedFile],
    kind: Form[str],
    captured_at: Form[dt.datetime],
    device_id: Form[str],
    lat: Form[float | None] = None,
    lng: Form[float | None] = None,
    gps_accuracy_m: Form[float | None] = None,
    note: Form[str] = "",
) -> Status:
    user = require_role(_caller(request), *STAFF_ROLES)
    item = evidence_upload(
        file=file,
        kind=kind,
        captured_at=captured_at,
        lat=lat,
        lng=lng,
        gps_accuracy_m=gps_accuracy_m,
        device_id=device_id,
        note=note,
        original_name=file.name or "",
        by=user,
        source_ip=client_ip(request),
    )
    return Status(201, _out(item))


@router.get("/", response=list[EvidenceOut])
def evidence_list(request: HttpRequest, limit: int = 50) -> list[dict]:
    items = evidence_visible_to(_caller(request))[: max(1, min(limit, 200))]
    return [_out(item) for item in items]


@router.get("/{item_id}", response=EvidenceDetailOut)
def evidence_get(request: HttpRequest, item_id: int) -> dict:
    item = access_evidence(_caller(request), item_id)
    return {
        **_out(item),
        "custody": [
            {"action": e.action, "actor": e.actor_label, "at": e.at} for e in custody_log(item)
        ],
    }


@router.get("/{item_id}/file")
def evidence_file(request: HttpRequest, item_id: int, export: bool = False) -> FileResponse:
    item = access_evidence(_caller(request), item_id)
    handle = evidence_open(
        item=item, by=_caller(request), export=export, source_ip=client_ip(request)
    )
    response = FileResponse(handle, content_type=item.mime_type, as_attachment=export)
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Evidence-SHA256"] = item.sha256
    return response
