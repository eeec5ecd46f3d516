"""API for the officers' handheld app: slip bytes for the Bluetooth printer.

Auth: the officer's staff session (the handheld app signs in through /accounts/login/
in its web view and reuses the session cookie). Tokens in nuanxin.accounts are scoped
to operators and integrations only, so an officer token would need a new ApiToken kind
in the accounts app (see docs/architecture/law-violations.md).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from nuanxin.accounts.auth import staff_auth
from nuanxin.violations.access import access_slip
from nuanxin.violations.printing import escpos_bitmap, escpos_text, slip_cpcl, slip_pdf, slip_png

router = Router(tags=["violations"], auth=staff_auth)


class SlipOut(Schema):
    number: str
    issued_at: str
    valid: bool
    content_sha256: str
    verify_url: str
    content: dict


def _bytes(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _ascii_name(slip_serial: int, year: int, ext: str) -> str:
    return f"slip-{year}-{slip_serial:06d}.{ext}"


@router.get("/slips/{number}.escpos", response={200: None}, summary="ESC/POS bytes (58 mm)")
def slip_escpos(request: HttpRequest, number: str, variant: str = "text") -> HttpResponse:
    """`variant=text`: GB18030 text for printers with a Chinese font;
    `variant=bitmap`: a 384-dot raster image for printers without one."""
    slip = access_slip(request.user, number)
    if variant not in ("text", "bitmap"):
        from django.utils.translation import gettext as _

        from nuanxin.core.errors import DomainError

        raise DomainError("variant_invalid", _("variant 须为 text 或 bitmap。"))
    data = escpos_text(slip.content) if variant == "text" else escpos_bitmap(slip.content)
    return _bytes(data, "application/octet-stream", _ascii_name(slip.serial, slip.year, "bin"))


@router.get("/slips/{number}.cpcl", response={200: None}, summary="CPCL (GBK)")
def slip_cpcl_view(request: HttpRequest, number: str) -> HttpResponse:
    slip = access_slip(request.user, number)
    return _bytes(
        slip_cpcl(slip.content),
        "application/octet-stream",
        _ascii_name(slip.serial, slip.year, "cpcl"),
    )


@router.get("/slips/{number}.pdf", response={200: None}, summary="PDF preview")
def slip_pdf_view(request: HttpRequest, number: str) -> HttpResponse:
    slip = access_slip(request.user, number)
    return _bytes(
        slip_pdf(slip.content), "application/pdf", _ascii_name(slip.serial, slip.year, "pdf")
    )


@router.get("/slips/{number}.png", response={200: None}, summary="PNG preview (the bitmap)")
def slip_png_view(request: HttpRequest, number: str) -> HttpResponse:
    slip = access_slip(request.user, number)
    return _bytes(slip_png(slip.content), "image/png", _ascii_name(slip.serial, slip.year, "png"))


@router.get("/slips/{number}", response=SlipOut, summary="Slip content and hash")
def slip_detail(request: HttpRequest, number: str) -> SlipOut:
    slip = access_slip(request.user, number)
    return SlipOut(
        number=slip.number,
        issued_at=slip.issued_at.isoformat(),
        valid=slip.is_valid,
        content_sha256=slip.content_sha256,
        verify_url=slip.content["verify_url"],
        content=slip.content,
    )
