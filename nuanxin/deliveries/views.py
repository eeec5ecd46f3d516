"""The party's side of electronic service: a signed link opens the document and lets them sign."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from nuanxin.core.http import client_ip
from nuanxin.deliveries.services import (
    delivery_for_token,
    delivery_mark_acknowledged,
    delivery_mark_opened,
)


def _verify_url(delivery: object) -> str:
    from nuanxin.documents.models import Document

    document = Document.objects.filter(pk=getattr(delivery, "document_id", 0) or 0).first()
    return document.verify_url if document is not None else ""


@require_http_methods(["GET", "POST"])
def service_open(request: HttpRequest, token: str) -> HttpResponse:
    """Public page behind the signed link: opening it is logged; the party may 签收."""
    delivery = delivery_for_token(token)
    if delivery is None:
        return render(request, "deliveries/not_found.html", status=404)
    ip = client_ip(request)
    if delivery.status != delivery.Status.PAPER_PENDING:
        if request.method == "POST":
            delivery = delivery_mark_acknowledged(delivery=delivery, source_ip=ip)
        else:
            delivery = delivery_mark_opened(delivery=delivery, source_ip=ip)
    response = render(
        request,
        "deliveries/open.html",
        {"delivery": delivery, "verify_url": _verify_url(delivery), "token": token},
    )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
