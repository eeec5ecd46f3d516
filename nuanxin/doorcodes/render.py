"""The door code as an image (PNG, SVG) and as printable door plates (PDF, ReportLab).

ReportLab with the TrueType WenQuanYi Micro Hei face embeds a subset of the CJK glyphs in
a few milliseconds per page (stack-notes.md); the QR is drawn as vector squares from
segno's matrix, so it prints crisply at any size.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import segno
from django.conf import settings
from reportlab.lib.colors import HexColor, black, white
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from nuanxin.lib.env import envint, envstr

PLATE_FONT_PATH = envstr("NUANXIN_PLATE_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
PLATE_FONT_INDEX = envint("NUANXIN_PLATE_FONT_INDEX", 0)
PLATE_FONT = "NuanxinPlateCJK"
INSTRUCTIONS = "扫码查看证照信用 · 评价服务 · 投诉建议"
WARM = HexColor("#d9480f")


def _qr(url: str) -> segno.QRCode:
    return segno.make(url, error="m", micro=False)


def qr_png(url: str, *, scale: int = 8) -> bytes:
    out = io.BytesIO()
    _qr(url).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_svg(url: str, *, scale: int = 8) -> bytes:
    out = io.BytesIO()
    _qr(url).save(out, kind="svg", scale=scale, border=4, xmldecl=True, svgns=True)
    return out.getvalue()


@lru_cache(maxsize=1)
def _register_font() -> str:
    pdfmetrics.registerFont(TTFont(PLATE_FONT, PLATE_FONT_PATH, subfontIndex=PLATE_FONT_INDEX))
    return PLATE_FONT


def _fit_font_size(text: str, font: str, max_width: float, start: float, minimum: float) -> float:
    size = start
    while size > minimum and pdfmetrics.stringWidth(text, font, size) > max_width:
        size -= 0.5
    return size


def _draw_qr(c: canvas.Canvas, url: str, x: float, y: float, size: float) -> None:
    matrix = _qr(url).matrix
    n = len(matrix)
    border = 4
    module = size / (n + 2 * border)
    c.setFillColor(white)
    c.rect(x, y, size, size, stroke=0, fill=1)
    c.setFillColor(black)
    for row_index, row in enumerate(matrix):
        top = y + size - (border + row_index + 1) * module
        col = 0
        while col < n:  # one rectangle per run of dark modules keeps the PDF small
            if row[col]:
                start = col
                while col < n and row[col]:
                    col += 1
                c.rect(x + (border + start) * module, top, (col - start) * module, module, 0, 1)
            else:
                col += 1


def plate_draw(c: canvas.Canvas, *, code: Any) -> None:
    """One A5 door plate for `code` (a DoorCode with its merchant loaded)."""
    font = _register_font()
    width, height = A5
    merchant = code.merchant
    margin = 10 * mm
    c.setStrokeColor(WARM)
    c.setLineWidth(2 * mm)
    c.rect(margin / 2, margin / 2, width - margin, height - margin, stroke=1, fill=0)
    c.setFillColor(WARM)
    c.rect(margin / 2, height - margin / 2 - 22 * mm, width - margin, 22 * mm, stroke=0, fill=1)
    c.setFillColor(white)
    c.setFont(font, 20)
    c.drawCentredString(width / 2, height - margin / 2 - 14 * mm, "信息认证码")
    c.setFillColor(black)
    name_size = _fit_font_size(merchant.name, font, width - 2 * margin, 22, 10)
    c.setFont(font, name_size)
    c.drawCentredString(width / 2, height - 48 * mm, merchant.name)
    qr_size = 95 * mm
    _draw_qr(c, code.url, (width - qr_size) / 2, height - 52 * mm - qr_size, qr_size)
    c.setFont(font, 13)
    c.setFillColor(WARM)
    c.drawCentredString(width / 2, height - 60 * mm - qr_size, INSTRUCTIONS)
    c.setFillColor(black)
    c.setFont(font, 9)
    c.drawCentredString(
        width / 2,
        height - 68 * mm - qr_size,
        f"统一社会信用代码 {merchant.uscc}  ·  码号 {code.code_id}-{code.version}",
    )
    c.setFont(font, 12)
    c.drawCentredString(width / 2, 22 * mm, settings.BUREAU_NAME)
    c.setFont(font, 8)
    c.setFillColor(HexColor("#6c757d"))
    c.drawCentredString(
        width / 2,
        15 * mm,
        f"本码由{settings.BUREAU_NAME}签发，扫码显示“此码无效”请拨打 {settings.BUREAU_CONTACT} 举报",
    )


def plates_pdf(codes: Iterable[Any], *, out: Any = None) -> bytes | None:
    """A PDF with one plate per page. Writes to `out` (a path or file) when given."""
    target = out if out is not None else io.BytesIO()
    c = canvas.Canvas(target, pagesize=A5, pageCompression=1)
    c.setTitle("信息认证码门牌")
    c.setAuthor(settings.BUREAU_NAME)
    pages = 0
    for code in codes:
        plate_draw(c, code=code)
        c.showPage()
        pages += 1
    if pages == 0:
        c.showPage()
    c.save()
    if out is None:
        return target.getvalue()  # type: ignore[union-attr]
    return None
