"""Writes for electronic evidence: upload (hash + content-addressed store), link, custody,
integrity verification. Files go through Django's default_storage, so the local
filesystem and S3-compatible storage (django-storages) both work."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record
from nuanxin.core.errors import Conflict, DomainError
from nuanxin.evidence.models import (
    CustodyAction,
    CustodyEvent,
    EvidenceItem,
    EvidenceKind,
    EvidenceLink,
)
from nuanxin.lib.env import envint

if TYPE_CHECKING:
    from nuanxin.accounts.models import User

CHUNK = 1024 * 1024
MAX_MB = {
    EvidenceKind.PHOTO: envint("EVIDENCE_MAX_PHOTO_MB", 20),
    EvidenceKind.VIDEO: envint("EVIDENCE_MAX_VIDEO_MB", 500),
    EvidenceKind.AUDIO: envint("EVIDENCE_MAX_AUDIO_MB", 100),
    EvidenceKind.DOCUMENT: envint("EVIDENCE_MAX_DOCUMENT_MB", 50),
}
CLOCK_SKEW = dt.timedelta(minutes=10)


def _sniff(head: bytes) -> str | None:
    """The MIME type from the file's first bytes (never trust the name or the client)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in {b"heic", b"heix", b"mif1", b"msf1", b"hevc"}:
            return "image/heic"
        if brand in {b"M4A ", b"M4B "}:
            return "audio/mp4"
        if brand == b"qt  ":
            return "video/quicktime"
        return "video/mp4"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    if head.startswith(b"ID3") or head[:2] in {b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"}:
        return "audio/mpeg"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


ALLOWED_MIME = {
    EvidenceKind.PHOTO: {"image/jpeg", "image/png", "image/heic"},
    EvidenceKind.VIDEO: {"video/mp4", "video/quicktime"},
    EvidenceKind.AUDIO: {"audio/mpeg", "audio/wav", "audio/amr", "audio/mp4"},
    # Scanned or signed papers: an inquiry record, a licence, a notice served on paper.
    EvidenceKind.DOCUMENT: {"application/pdf"},
}
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/heic": "heic",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
    "audio/amr": "amr",
    "audio/mp4": "m4a",
    "application/pdf": "pdf",
}


def evidence_storage_name(sha256: str) -> str:
    return f"evidence/{sha256[:2]}/{sha256}"


def _hash_stream(handle: IO[bytes]) -> tuple[str, int, bytes]:
    digest = hashlib.sha256()
    size = 0
    head = b""
    handle.seek(0)
    while chunk := handle.read(CHUNK):
        if not head:
            head = chunk[:32]
        digest.update(chunk)
        size += len(chunk)
    handle.seek(0)
    return digest.hexdigest(), size, head


def _custody(
    item: EvidenceItem,
    action: str,
    by: Any,
    source_ip: str | None = None,
    actor_label: str = "",
    **detail: Any,
) -> CustodyEvent:
    user = by if getattr(by, "is_authenticated", False) else None
    return CustodyEvent.objects.create(
        item=item,
        action=action,
        actor=user,
        actor_label=actor_label or (user.get_username() if user else "system"),
        detail=detail,
        source_ip=source_ip,
    )


def evidence_upload(
    *,
    file: IO[bytes] | File,
    kind: str,
    captured_at: dt.datetime,
    lat: float | None,
    lng: float | None,
    device_id: str,
    by: User,
    original_name: str = "",
    gps_accuracy_m: float | None = None,
    note: str = "",
    source_ip: str | None = None,
) -> EvidenceItem:
    """Hash, check type and size, store under evidence/<sha[:2]>/<sha>, log custody."""
    if kind not in EvidenceKind.values:
        raise DomainError("bad_kind", _("证据类型必须是照片、视频、录音或书证（PDF）。"))
    if not device_id.strip():
        raise DomainError("device_required", _("请注明采集设备编号。"))
    if timezone.is_naive(captured_at):
        raise DomainError("naive_time", _("拍摄时间必须带时区。"))
    if captured_at > timezone.now() + CLOCK_SKEW:
        raise DomainError("future_time", _("拍摄时间不能晚于当前时间。"))
    if (lat is None) != (lng is None):
        raise DomainError("bad_position", _("经纬度须同时提供。"))
    if lat is not None and lng is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise DomainError("bad_position", _("经纬度超出范围。"))
    sha256, size, head = _hash_stream(file)  # type: ignore[arg-type]
    if size == 0:
        raise DomainError("empty_file", _("文件为空。"))
    limit = MAX_MB[EvidenceKind(kind)] * 1024 * 1024
    if size > limit:
        raise DomainError(
            "too_large",
            _("文件过大：%(kind)s最大 %(mb)s MB。")
            % {"kind": EvidenceKind(kind).label, "mb": MAX_MB[EvidenceKind(kind)]},
        )
    mime = _sniff(head)
    if mime not in ALLOWED_MIME[EvidenceKind(kind)]:
        raise DomainError(
            "bad_type",
            _("文件格式不符合“%(kind)s”：支持 %(types)s。")
            % {
                "kind": EvidenceKind(kind).label,
                "types": "、".join(sorted(EXTENSIONS[m] for m in ALLOWED_MIME[EvidenceKind(kind)])),
            },
        )
    district = None
    if lat is not None and lng is not None:
        from nuanxin.orgs.selectors import district_for_point

        district = district_for_point(lat=lat, lng=lng)
    if district is None:
        district = by.district
    name = evidence_storage_name(sha256)
    if not default_storage.exists(name):
        saved = default_storage.save(name, file if isinstance(file, File) else File(file))
        if saved != name:  # a concurrent upload of the same bytes won the name
            default_storage.delete(saved)
    with transaction.atomic():
        item = EvidenceItem.objects.create(
            sha256=sha256,
            kind=kind,
            file=name,
            size=size,
            mime_type=mime or "",
            original_name=(original_name or getattr(file, "name", "") or "")[:200],
            captured_at=captured_at,
            lat=lat,
            lng=lng,
            gps_accuracy_m=gps_accuracy_m,
            device_id=device_id.strip()[:100],
            district=district,
            note=note[:500],
            uploaded_by=by,
        )
        _custody(item, CustodyAction.UPLOADED, by, source_ip, sha256=sha256, size=size)
        audit_record(
            actor=by,
            action="evidence.upload",
            obj=item,
            after={
                "sha256": sha256,
                "kind": kind,
                "size": size,
                "captured_at": captured_at,
                "lat": lat,
                "lng": lng,
                "device_id": item.device_id,
            },
            source_ip=source_ip,
        )
    return item


def evidence_link(
    *, item: EvidenceItem, subject: models.Model, by: User, source_ip: str | None = None
) -> EvidenceLink:
    """Attach evidence to a subject. From then on the item is immutable."""
    subject_type = ContentType.objects.get_for_model(subject)
    with transaction.atomic():
        locked = EvidenceItem.objects.select_for_update().get(pk=item.pk)
        try:
            with transaction.atomic():
                link = EvidenceLink.objects.create(
                    item=locked, subject_type=subject_type, subject_id=str(subject.pk), linked_by=by
                )
        except IntegrityError as exc:
            raise Conflict("already_linked", _("该证据已关联到此对象。")) from exc
        if locked.linked_at is None:
            locked.linked_at = link.linked_at
            locked.save(update_fields=["linked_at"])
        _custody(
            locked,
            CustodyAction.LINKED,
            by,
            source_ip,
            subject=f"{subject_type.app_label}.{subject_type.model}:{subject.pk}",
        )
        audit_record(
            actor=by,
            action="evidence.link",
            obj=locked,
            after={"subject_type": subject_type.model, "subject_id": str(subject.pk)},
            source_ip=source_ip,
        )
    item.linked_at = locked.linked_at
    return link


def evidence_update(
    *, item: EvidenceItem, by: User, note: str, source_ip: str | None = None
) -> EvidenceItem:
    """Edit the note of an unlinked item; a linked item is refused."""
    with transaction.atomic():
        locked = EvidenceItem.objects.select_for_update().get(pk=item.pk)
        locked.ensure_mutable()
        before = {"note": locked.note}
        locked.note = note[:500]
        locked.save(update_fields=["note"])
        audit_record(
            actor=by,
            action="evidence.update",
            obj=locked,
            before=before,
            after={"note": locked.note},
            source_ip=source_ip,
        )
    return locked


def evidence_delete(*, item: EvidenceItem, by: User, source_ip: str | None = None) -> None:
    """Withdraw an unlinked upload (e.g. a wrong photo). A linked item is refused."""
    with transaction.atomic():
        locked = EvidenceItem.objects.select_for_update().get(pk=item.pk)
        locked.ensure_mutable()
        audit_record(
            actor=by,
            action="evidence.delete",
            obj=locked,
            before={"sha256": locked.sha256, "kind": locked.kind},
            source_ip=source_ip,
        )
        sha256 = locked.sha256
        locked.custody.all().delete()
        locked.delete()
        still_used = EvidenceItem.objects.filter(sha256=sha256).exists()
    if not still_used:
        default_storage.delete(evidence_storage_name(sha256))


def evidence_open(
    *, item: EvidenceItem, by: User, export: bool = False, source_ip: str | None = None
) -> File:
    """Open the stored file for viewing or export, logging it in the chain of custody."""
    with transaction.atomic():
        action = CustodyAction.EXPORTED if export else CustodyAction.VIEWED
        _custody(item, action, by, source_ip)
        audit_record(actor=by, action=f"evidence.{action}", obj=item, source_ip=source_ip)
    return default_storage.open(str(item.file.name), "rb")


@dataclass(frozen=True)
class IntegrityProblem:
    item_id: int
    path: str
    problem: str  # "missing" or "changed"
    expected: str
    actual: str = ""


def evidence_verify(
    *, items: Iterable[EvidenceItem] | None = None, by: Any = None
) -> tuple[int, list[IntegrityProblem]]:
    """Re-hash every stored file. Returns (checked, problems) and logs custody rows."""
    queryset = items if items is not None else EvidenceItem.objects.order_by("pk").iterator()
    checked = 0
    problems: list[IntegrityProblem] = []
    events: list[CustodyEvent] = []
    hashed: dict[str, str | None] = {}  # content-addressed: hash each file once
    now = timezone.now()
    for item in queryset:
        checked += 1
        name = str(item.file.name)
        if name not in hashed:
            try:
                with default_storage.open(name, "rb") as handle:
                    hashed[name] = _hash_stream(handle)[0]
            except (FileNotFoundError, OSError):
                hashed[name] = None
        actual = hashed[name]
        if actual is None:
            problems.append(IntegrityProblem(item.pk, name, "missing", item.sha256))
        elif actual != item.sha256:
            problems.append(IntegrityProblem(item.pk, name, "changed", item.sha256, actual))
        ok = actual == item.sha256
        events.append(
            CustodyEvent(
                item=item,
                action=CustodyAction.VERIFIED if ok else CustodyAction.VERIFY_FAILED,
                actor=by if getattr(by, "is_authenticated", False) else None,
                actor_label=by.get_username()
                if getattr(by, "is_authenticated", False)
                else "system:evidence_verify",
                at=now,
                detail={"actual": actual or "missing"},
            )
        )
    with transaction.atomic():
        CustodyEvent.objects.bulk_create(events, batch_size=500)
        audit_record(
            actor=by,
            actor_label="" if getattr(by, "is_authenticated", False) else "system:evidence_verify",
            action="evidence.verify",
            object_type="evidence.evidenceitem",
            object_id="*",
            after={
                "checked": checked,
                "problems": [{"id": p.item_id, "problem": p.problem} for p in problems],
            },
        )
    return checked, problems
