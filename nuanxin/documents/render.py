"""Render a document type's layout to an unsigned PDF with ReportLab.

Chinese text uses WenQuanYi Micro Hei (the one TrueType-outline CJK font Debian ships;
ReportLab refuses the CFF outlines of Noto CJK), embedded and subset by ReportLab.
The renderer also reports where the signature and seal boxes landed, so the signer can
place its visible appearances there without a second layout pass.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from nuanxin.documents.doctypes import DocTypeSpec
from nuanxin.lib.env import envstr

FONT_NAME = "NuanxinCJK"
FONT_CANDIDATES = [
    envstr("DOCUMENTS_FONT_PATH"),
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
]
SHANGHAI = ZoneInfo("Asia/Shanghai")
PAGE_W, PAGE_H = A4
MARGIN = 22 * mm
SIG_BOX = (42 * mm, 18 * mm)  # officer signature box (w, h)
SEAL_BOX = (40 * mm, 40 * mm)  # round seal


class FontMissing(RuntimeError):
    pass


@cache
def cjk_font() -> str:
    for candidate in FONT_CANDIDATES:
        if candidate and Path(candidate).exists():
            pdfmetrics.registerFont(TTFont(FONT_NAME, candidate, subfontIndex=0))
            return FONT_NAME
    raise FontMissing(
        "No TrueType CJK font found: install fonts-wqy-microhei (scripts/system-deps.sh) "
        "or set DOCUMENTS_FONT_PATH"
    )


@cache
def _styles() -> dict[str, ParagraphStyle]:
    font = cjk_font()
    base = ParagraphStyle("base", fontName=font, fontSize=11, leading=17, wordWrap="CJK")
    return {
        "title": ParagraphStyle(
            "title", parent=base, fontSize=20, leading=28, alignment=TA_CENTER, spaceAfter=2
        ),
        "agency": ParagraphStyle("agency", parent=base, fontSize=14, alignment=TA_CENTER),
        "number": ParagraphStyle("number", parent=base, alignment=TA_CENTER, spaceAfter=8),
        "heading": ParagraphStyle("heading", parent=base, fontSize=12, spaceBefore=6),
        "label": ParagraphStyle("label", parent=base, textColor=colors.HexColor("#333333")),
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=11),
    }


@dataclass
class SignatureSlot:
    """Where one visible signature goes: page index and box in PDF points."""

    page: int
    box: tuple[int, int, int, int]


@dataclass
class RenderResult:
    pdf: bytes
    signer_slots: list[SignatureSlot] = field(default_factory=list)
    seal_slot: SignatureSlot | None = None


@dataclass
class RenderInput:
    spec: DocTypeSpec
    context: dict[str, Any]
    number: str
    agency_name: str
    agency_contact: str
    issued_at: dt.datetime
    signer_labels: list[str]
    verify_url: str
    seal: bool


def _fmt(value: Any, ftype: str) -> str:
    if ftype == "money" and isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, dt.datetime):
        return value.astimezone(SHANGHAI).strftime("%Y年%m月%d日 %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%Y年%m月%d日")
    return str(value)


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


class _SignatureBlock(Flowable):
    """Signer boxes and the agency name/date with the seal box; records absolute positions."""

    def __init__(self, data: RenderInput, result: RenderResult) -> None:
        super().__init__()
        self.data = data
        self.result = result
        self.rows = max(1, (len(data.signer_labels) + 2) // 3)

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        self.width = avail_w
        self.height = self.rows * (SIG_BOX[1] + 8 * mm) + SEAL_BOX[1] + 6 * mm
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        font = cjk_font()
        page = canv.getPageNumber() - 1
        # Officers: "执法人员：" label with a box to the right for each signature.
        top = self.height
        for i, label in enumerate(self.data.signer_labels):
            row, col = divmod(i, 3)
            x = col * (self.width / 3)
            y = top - (row + 1) * (SIG_BOX[1] + 8 * mm)
            canv.setFont(font, 9)
            canv.drawString(x, y + SIG_BOX[1] + 2 * mm, label)
            canv.setStrokeColor(colors.HexColor("#999999"))
            canv.rect(x, y, SIG_BOX[0], SIG_BOX[1], stroke=1, fill=0)
            ax, ay = canv.absolutePosition(x, y)
            self.result.signer_slots.append(
                SignatureSlot(page, (int(ax), int(ay), int(ax + SIG_BOX[0]), int(ay + SIG_BOX[1])))
            )
        # Agency name and date, right-aligned, with the seal box over them.
        canv.setFont(font, 12)
        right = self.width
        date_text = self.data.issued_at.astimezone(SHANGHAI).strftime("%Y年%m月%d日")
        canv.drawRightString(right - 6 * mm, 14 * mm, self.data.agency_name)
        canv.drawRightString(right - 6 * mm, 7 * mm, date_text)
        if self.data.seal:
            sx = right - 6 * mm - SEAL_BOX[0] + 2 * mm
            ax, ay = canv.absolutePosition(sx, 0)
            self.result.seal_slot = SignatureSlot(
                page, (int(ax), int(ay), int(ax + SEAL_BOX[0]), int(ay + SEAL_BOX[1]))
            )


def _draw_qr(canv: Any, matrix: Any, x: float, y: float, size: float) -> None:
    """The QR code as one filled path of horizontal runs (segno computes the matrix):
    far cheaper than one shape per module, and crisp at any print resolution."""
    quiet = 2
    n = len(matrix) + 2 * quiet
    module = size / n
    canv.setFillColor(colors.white)
    canv.rect(x, y, size, size, stroke=0, fill=1)
    path = canv.beginPath()
    for r, row in enumerate(matrix):
        top = y + size - (r + quiet + 1) * module
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                path.rect(x + (start + quiet) * module, top, (c - start) * module, module)
            else:
                c += 1
    canv.setFillColor(colors.black)
    canv.drawPath(path, stroke=0, fill=1)


def render_document(data: RenderInput) -> RenderResult:
    styles = _styles()
    spec = data.spec
    result = RenderResult(pdf=b"")
    story: list[Flowable] = [
        _para(data.agency_name, styles["agency"]),
        _para(spec.title, styles["title"]),
        _para(data.number, styles["number"]),
    ]
    label_w = 38 * mm
    value_w = PAGE_W - 2 * MARGIN - label_w
    rows: list[list[Any]] = []

    def flush_rows() -> None:
        if not rows:
            return
        table = Table(list(rows), colWidths=[label_w, value_w], hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        story.append(table)
        rows.clear()

    for block in spec.layout:
        if "field" in block:
            fspec = spec.fields[block["field"]]
            value = data.context.get(fspec.key)
            if value is None:
                continue
            if fspec.type == "articles":
                cell: Any = [
                    _para(
                        (f"{a['citation']}：" if a["citation"] else "") + f"“{a['text']}”",
                        styles["body"],
                    )
                    for a in value
                ]
            elif fspec.type == "evidence":
                cell = []
                for i, e in enumerate(value, 1):
                    cell.append(_para(f"{i}. {e['name']}", styles["body"]))
                    cell.append(_para(f"SHA-256: {e['sha256']}", styles["small"]))
            elif fspec.type == "list":
                cell = _para("、".join(value), styles["body"])
            else:
                cell = _para(_fmt(value, fspec.type), styles["body"])
            rows.append([_para(fspec.label, styles["label"]), cell])
        elif "heading" in block:
            flush_rows()
            story.append(_para(block["heading"], styles["heading"]))
        elif "text" in block:
            flush_rows()
            values = {k: _fmt(v, "text") for k, v in data.context.items() if isinstance(v, str)}
            story.append(_para(block["text"].format_map(_Blank(values)), styles["body"]))
        elif block.get("signatures"):
            flush_rows()
            story.append(Spacer(1, 6 * mm))
            story.append(_SignatureBlock(data, result))
    flush_rows()

    # A fixed mask skips segno's mask scoring (most of its time); any mask decodes.
    qr_matrix = segno.make(data.verify_url, error="m", mask=1, micro=False).matrix
    qr_size = 22 * mm

    def footer(canv: Any, doc: Any) -> None:
        canv.saveState()
        if not canv.hasForm("verify_qr"):  # one XObject, reused on every page
            canv.beginForm("verify_qr")
            _draw_qr(canv, qr_matrix, PAGE_W - MARGIN - qr_size, 6 * mm, qr_size)
            canv.endForm()
        canv.doForm("verify_qr")
        canv.setFont(cjk_font(), 7.5)
        canv.drawString(MARGIN, 18 * mm, f"{spec.title} {data.number}")
        canv.drawString(MARGIN, 13.5 * mm, f"扫码核验真伪：{data.verify_url}")
        canv.drawString(
            MARGIN,
            9 * mm,
            f"模板 {spec.doc_type} v{spec.version} · 第{canv.getPageNumber()}页 · {data.agency_contact}",
        )
        canv.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=18 * mm,
        bottomMargin=32 * mm,
        title=f"{spec.title} {data.number}",
        author=data.agency_name,
        subject=spec.title,
        creator="Nuanxin",
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    result.pdf = buf.getvalue()
    return result


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "____"
