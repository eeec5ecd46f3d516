"""Writes for documents: numbering, public verification records, issuing signed PDFs."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record
from nuanxin.core.errors import DomainError
from nuanxin.documents import keys
from nuanxin.documents.doctypes import DocTypeSpec, context_clean, doc_type_spec
from nuanxin.documents.models import Document, DocumentCounter, VerificationRecord
from nuanxin.documents.render import RenderInput, render_document
from nuanxin.documents.signing import Appearance, signing_backend

if TYPE_CHECKING:
    import datetime as dt

    from nuanxin.accounts.models import User
    from nuanxin.orgs.models import Bureau


def number_format(*, bureau: Bureau, prefix: str, year: int, serial: int) -> str:
    return f"{bureau.short_name}{prefix}〔{year}〕第{serial:06d}号"


def number_allocate(*, bureau: Bureau, doc_type: str, year: int) -> tuple[int, str]:
    """Next serial for (bureau, doc_type, year) and its formatted number.

    Call it inside the transaction that stores the numbered thing: the counter row stays
    locked until that commits, and a rollback returns the number, so there is no gap and
    no duplicate however many officers issue at once.
    """
    return number_allocate_range(bureau=bureau, doc_type=doc_type, year=year, count=1)[0]


def number_allocate_range(
    *, bureau: Bureau, doc_type: str, year: int, count: int
) -> list[tuple[int, str]]:
    """`count` consecutive serials (and formatted numbers) in one counter update.

    Same rules as `number_allocate`: inside the transaction that stores the numbered
    things, so a rollback returns the whole range.
    """
    if count < 1:
        return []
    spec = doc_type_spec(doc_type)
    with transaction.atomic():
        counter = (
            DocumentCounter.objects.select_for_update()
            .filter(bureau=bureau, doc_type=doc_type, year=year)
            .first()
        )
        if counter is None:
            try:
                with transaction.atomic():
                    DocumentCounter.objects.create(bureau=bureau, doc_type=doc_type, year=year)
            except IntegrityError:
                pass  # another transaction created it first; lock theirs below
            counter = DocumentCounter.objects.select_for_update().get(
                bureau=bureau, doc_type=doc_type, year=year
            )
        first = counter.last_serial + 1
        counter.last_serial += count
        counter.save(update_fields=["last_serial"])
    return [
        (serial, number_format(bureau=bureau, prefix=spec.number_prefix, year=year, serial=serial))
        for serial in range(first, first + count)
    ]


def _subject_fields(subject: models.Model | None) -> dict[str, Any]:
    if subject is None:
        return {"subject_type": None, "subject_id": ""}
    return {
        "subject_type": ContentType.objects.get_for_model(subject),
        "subject_id": str(subject.pk),
    }


def verification_token_new() -> str:
    return secrets.token_urlsafe(18)


def verification_register(
    *,
    kind: str,
    number: str,
    issued_at: dt.datetime,
    agency_name: str,
    sha256: str,
    title: str,
    subject: models.Model | None = None,
    token: str | None = None,
) -> VerificationRecord:
    """A public authenticity record; put `record.url` in the QR code.

    `token` may be reserved beforehand (verification_token_new) when the URL must be
    printed on the thing whose hash is registered.
    """
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise DomainError("bad_sha256", _("SHA-256 必须是64位小写十六进制。"))
    with transaction.atomic():
        record = VerificationRecord.objects.create(
            token=token or verification_token_new(),
            kind=kind,
            number=number,
            title=title,
            issued_at=issued_at,
            agency_name=agency_name,
            sha256=sha256,
            **_subject_fields(subject),
        )
        audit_record(
            actor=None,
            actor_label="system:verification",
            action="verification.register",
            obj=record,
            after={"kind": kind, "number": number, "sha256": sha256},
        )
    return record


def _store_pdf(sha256: str, content: bytes) -> str:
    name = f"documents/{sha256[:2]}/{sha256}.pdf"
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(content))
        if saved != name:  # a racing writer stored identical bytes first
            default_storage.delete(saved)
    return name


@dataclass(frozen=True)
class PreparedDocument:
    """A rendered, signed PDF with a number reserved for it, not stored yet."""

    spec: DocTypeSpec
    bureau: Bureau
    cleaned: dict[str, Any]
    year: int
    serial: int
    number: str
    issued_at: dt.datetime
    token: str
    pdf: bytes
    signer_rows: list[dict[str, Any]]
    seal: bool
    party_name: str
    timestamped: bool


def document_issue(
    *,
    doc_type: str,
    bureau: Bureau,
    context: dict[str, Any],
    signers: Sequence[User],
    by: User,
    subject: models.Model | None = None,
    party_name: str = "",
    seal: bool = True,
    source_ip: str | None = None,
) -> Document:
    """Validate, number, render, sign (each signer, then the bureau seal), store, audit."""
    spec, cleaned = _checked(doc_type, bureau, context, signers, seal)
    issued_at = timezone.now()
    year = timezone.localtime(issued_at).year
    with transaction.atomic():
        serial, number = number_allocate(bureau=bureau, doc_type=doc_type, year=year)
        prepared = _render_and_sign(
            spec, bureau, cleaned, signers, seal, party_name, (year, serial, number), issued_at
        )
        return document_store(prepared=prepared, by=by, subject=subject, source_ip=source_ip)


def document_prepare(
    *,
    doc_type: str,
    bureau: Bureau,
    context: dict[str, Any],
    signers: Sequence[User],
    reserved: tuple[int, int, str],
    party_name: str = "",
    seal: bool = True,
) -> PreparedDocument:
    """Validate, render and sign under a number reserved earlier (year, serial, number),
    e.g. by `number_allocate_range` in the transaction that recorded the decision.

    No database writes and no lock held: many workers can render and sign in parallel,
    then store with `document_store` in a short transaction.
    """
    spec, cleaned = _checked(doc_type, bureau, context, signers, seal)
    return _render_and_sign(
        spec, bureau, cleaned, signers, seal, party_name, reserved, timezone.now()
    )


def _checked(
    doc_type: str,
    bureau: Bureau,
    context: dict[str, Any],
    signers: Sequence[User],
    seal: bool,
) -> tuple[DocTypeSpec, dict[str, Any]]:
    spec = doc_type_spec(doc_type)
    cleaned = context_clean(spec, context)
    if spec.seal_required and not seal:
        raise DomainError(
            "seal_required", _("%(title)s依法必须加盖机关印章。") % {"title": spec.title}
        )
    if not signers and not seal:
        raise DomainError("no_signature", _("文书至少需要一个签名或机关印章。"))
    # Fail before taking a number if any key is missing.
    for person in signers:
        keys.identity_require(keys.identity_for_user(person), str(person))
    if seal:
        keys.identity_require(keys.identity_for_bureau(bureau), bureau.name)
    return spec, cleaned


def _render_and_sign(
    spec: DocTypeSpec,
    bureau: Bureau,
    cleaned: dict[str, Any],
    signers: Sequence[User],
    seal: bool,
    party_name: str,
    reserved: tuple[int, int, str],
    issued_at: dt.datetime,
) -> PreparedDocument:
    year, serial, number = reserved
    token = verification_token_new()
    backend = signing_backend()
    rendered = render_document(
        RenderInput(
            spec=spec,
            context=cleaned,
            number=number,
            agency_name=bureau.name,
            agency_contact=" ".join(x for x in [bureau.address, bureau.phone] if x),
            issued_at=issued_at,
            signer_labels=[f"执法人员：{p}" for p in signers],
            verify_url=settings.SITE_ROOT + VerificationRecord(token=token).path,
            seal=seal,
        )
    )
    pdf = rendered.pdf
    signer_rows = []
    for i, person in enumerate(signers):
        slot = rendered.signer_slots[i] if i < len(rendered.signer_slots) else None
        identity = keys.identity_for_user(person)
        pdf = backend.sign(
            pdf,
            identity,
            Appearance(
                field_name=f"Signer{i + 1}",
                page=slot.page if slot else 0,
                box=slot.box if slot else None,
                label=str(person),
                reason=_("执法人员签名"),
            ),
        )
        signer_rows.append({"user_id": person.pk, "name": str(person), "badge_no": person.badge_no})
    if seal:
        slot = rendered.seal_slot
        pdf = backend.sign(
            pdf,
            keys.identity_for_bureau(bureau),
            Appearance(
                field_name="AgencySeal",
                page=slot.page if slot else 0,
                box=slot.box if slot else None,
                label=f"{bureau.name}",
                reason=_("机关电子印章"),
            ),
        )
    return PreparedDocument(
        spec=spec,
        bureau=bureau,
        cleaned=cleaned,
        year=year,
        serial=serial,
        number=number,
        issued_at=issued_at,
        token=token,
        pdf=pdf,
        signer_rows=signer_rows,
        seal=seal,
        party_name=party_name,
        timestamped=getattr(backend, "timestamper", None) is not None,
    )


def document_store(
    *,
    prepared: PreparedDocument,
    by: User,
    subject: models.Model | None = None,
    source_ip: str | None = None,
) -> Document:
    """Store a prepared PDF: file, verification record, Document row, audit (one transaction)."""
    p = prepared
    sha256 = hashlib.sha256(p.pdf).hexdigest()
    with transaction.atomic():
        stored_name = _store_pdf(sha256, p.pdf)
        record = verification_register(
            kind="document",
            number=p.number,
            issued_at=p.issued_at,
            agency_name=p.bureau.name,
            sha256=sha256,
            title=p.spec.title,
            subject=subject,
            token=p.token,
        )
        document = Document.objects.create(
            bureau=p.bureau,
            doc_type=p.spec.doc_type,
            title=p.spec.title,
            number=p.number,
            year=p.year,
            serial=p.serial,
            sha256=sha256,
            pdf=stored_name,
            size=len(p.pdf),
            template_version=p.spec.version,
            template_sha256=p.spec.file_sha256,
            issued_at=p.issued_at,
            issued_by=by,
            signers=p.signer_rows,
            sealed=p.seal,
            timestamped=p.timestamped,
            evidence=p.cleaned.get("evidence", []),
            party_name=p.party_name or str(p.cleaned.get("party_name", "")),
            verification=record,
            **_subject_fields(subject),
        )
        audit_record(
            actor=by,
            action="document.issue",
            obj=document,
            after={
                "number": p.number,
                "doc_type": p.spec.doc_type,
                "sha256": sha256,
                "template_version": p.spec.version,
                "signers": [r["user_id"] for r in p.signer_rows],
                "sealed": p.seal,
                "subject": f"{document.subject_type_id}:{document.subject_id}",
            },
            source_ip=source_ip,
        )
    return document
