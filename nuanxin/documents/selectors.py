"""Reads for documents: the stored PDF, and its re-validated signatures (cached)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.cache import cache
from django.core.files.storage import default_storage

from nuanxin.documents.models import Document, VerificationRecord
from nuanxin.documents.signing import SignatureStatus, signing_backend

REPORT_CACHE_SECONDS = 24 * 3600


@dataclass
class SignatureReport:
    file_present: bool
    hash_matches: bool
    signatures: list[SignatureStatus] = field(default_factory=list)

    @property
    def all_valid(self) -> bool:
        return (
            self.file_present
            and self.hash_matches
            and bool(self.signatures)
            and all(s.ok for s in self.signatures)
        )


def document_pdf_bytes(document: Document) -> bytes | None:
    try:
        with default_storage.open(str(document.pdf.name), "rb") as handle:
            return handle.read()
    except (FileNotFoundError, OSError):
        return None


def document_signature_report(document: Document, *, use_cache: bool = True) -> SignatureReport:
    """Hash the stored file and validate every signature in it with pyHanko.

    Cached by the recorded hash: a changed or missing file fails the hash check first,
    and is never served from the cache as valid.
    """
    data = document_pdf_bytes(document)
    if data is None:
        return SignatureReport(file_present=False, hash_matches=False)
    if hashlib.sha256(data).hexdigest() != document.sha256:
        return SignatureReport(
            file_present=True, hash_matches=False, signatures=signing_backend().validate(data)
        )
    key = f"documents:sigreport:{document.sha256}"
    cached: list[dict[str, Any]] | None = cache.get(key) if use_cache else None
    if cached is not None:
        return SignatureReport(True, True, [SignatureStatus(**s) for s in cached])
    statuses = signing_backend().validate(data)
    cache.set(key, [asdict(s) for s in statuses], REPORT_CACHE_SECONDS)
    return SignatureReport(True, True, statuses)


def verification_by_token(token: str) -> VerificationRecord | None:
    if not token or len(token) > 40:
        return None
    return VerificationRecord.objects.filter(token=token).first()


def document_for_record(record: VerificationRecord) -> Document | None:
    return Document.objects.filter(verification=record).first()
