"""/api/v1/documents/: metadata and signature status of documents the caller may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from nuanxin.accounts.auth import staff_auth
from nuanxin.documents.access import access_document
from nuanxin.documents.selectors import document_signature_report

router = Router(tags=["documents"])


def _caller(request: HttpRequest) -> Any:
    return getattr(request, "auth", None)


class SignatureOut(Schema):
    field_name: str
    signer: str
    intact: bool
    valid: bool
    trusted: bool
    coverage: str
    signed_at: str


class DocumentOut(Schema):
    id: int
    number: str
    doc_type: str
    title: str
    sha256: str
    issued_at: dt.datetime
    template_version: str
    verify_url: str
    pdf_url: str
    signatures_valid: bool
    signatures: list[SignatureOut]


@router.get("/{document_id}", response=DocumentOut, auth=staff_auth)
def document_get(request: HttpRequest, document_id: int) -> DocumentOut:
    document = access_document(_caller(request), document_id)
    report = document_signature_report(document)
    return DocumentOut(
        id=document.pk,
        number=document.number,
        doc_type=document.doc_type,
        title=document.title,
        sha256=document.sha256,
        issued_at=document.issued_at,
        template_version=document.template_version,
        verify_url=document.verify_url,
        pdf_url=f"/staff/documents/{document.pk}/pdf",
        signatures_valid=report.all_valid,
        signatures=[
            SignatureOut(**{k: getattr(s, k) for k in SignatureOut.model_fields})
            for s in report.signatures
        ],
    )
