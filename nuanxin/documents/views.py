from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from nuanxin.documents.access import access_document, documents_visible_to
from nuanxin.documents.models import DocType, Document
from nuanxin.documents.selectors import (
    document_for_record,
    document_pdf_bytes,
    document_signature_report,
    verification_by_token,
)


def _pdf_response(document: Document, data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    filename = f"{document.doc_type}-{document.year}-{document.serial:06d}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """Public: confirms a document's authenticity. No personal data on the page."""
    record = verification_by_token(token)
    if record is None:
        return render(request, "documents/verify_not_found.html", status=404)
    document = document_for_record(record)
    report = document_signature_report(document) if document is not None else None
    response = render(
        request,
        "documents/verify.html",
        {"record": record, "document": document, "report": report},
    )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def verify_pdf(request: HttpRequest, token: str) -> HttpResponse:
    """The original file, for the holder of the QR code (the party, a court)."""
    record = verification_by_token(token)
    document = document_for_record(record) if record is not None else None
    if document is None:
        raise Http404
    data = document_pdf_bytes(document)
    if data is None:
        raise Http404
    response = _pdf_response(document, data)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_GET
def document_list(request: HttpRequest) -> HttpResponse:
    queryset = documents_visible_to(request.user)
    doc_type = request.GET.get("type", "")
    if doc_type in DocType.values:
        queryset = queryset.filter(doc_type=doc_type)
    query = request.GET.get("q", "").strip()
    if query:
        queryset = queryset.filter(number__icontains=query) | queryset.filter(
            party_name__icontains=query
        )
    page = Paginator(queryset.order_by("-issued_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "documents/list.html",
        {"page": page, "doc_types": DocType.choices, "doc_type": doc_type, "q": query},
    )


@login_required
@require_GET
def document_detail(request: HttpRequest, document_id: int) -> HttpResponse:
    document = access_document(request.user, document_id)
    report = document_signature_report(document)
    return render(request, "documents/detail.html", {"document": document, "report": report})


@login_required
@require_GET
def document_pdf(request: HttpRequest, document_id: int) -> FileResponse | HttpResponse:
    document = access_document(request.user, document_id)
    data = document_pdf_bytes(document)
    if data is None:
        raise Http404
    return _pdf_response(document, data)
