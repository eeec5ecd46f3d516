from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def verify(request: HttpRequest, token: str) -> HttpResponse:
    raise NotImplementedError


def document_list(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def document_detail(request: HttpRequest, document_id: int) -> HttpResponse:
    raise NotImplementedError


def document_pdf(request: HttpRequest, document_id: int) -> HttpResponse:
    raise NotImplementedError
