"""Printer and preview outputs of a warm reminder slip (温馨提示单).

Everything is drawn from `slip.content`, the frozen text hashed at issue, so every
output says exactly what the verification page vouches for.

- ESC/POS, text variant: GB18030 text for 58 mm printers with a Chinese font (python-escpos).
- ESC/POS, bitmap variant: the slip rendered with Pillow at 384 dots (58 mm at 203 dpi),
  for printers without a Chinese font.
- CPCL (GBK) for handhelds that speak CPCL.
- PNG (the same bitmap) and PDF (58 mm wide, embedded CJK font) previews.
"""

from __future__ import annotations

import io
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import segno
from django.utils.translation import gettext as _
from escpos.printer import Dummy
from PIL import Image, ImageDraw, ImageFont

from nuanxin.lib.env import envstr

DOTS = 384  # 58 mm paper, 48 mm printable at 203 dpi
TEXT_COLUMNS = 32  # Font A, 12 dots per half-width column
FONT_CANDIDATES = [
    (envstr("NUANXIN_SLIP_FONT", ""), 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
]


def _article_line(article: dict[str, Any]) -> str:
    if article.get("text"):
        return f"{article['citation']}“{article['text']}”"
    return _("%(cite)s（要旨：%(gist)s）") % {"cite": article["citation"], "gist": article["gist"]}


def slip_sections(content: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs in print order; the header and QR are added by each output."""
    penalty_range = content["penalty_text"]
    if content.get("penalty_local"):
        penalty_range += _("（幅度由地方规定设定）")
    rows = [
        (_("编号"), content["number"]),
        (_("当事人"), content["party"]),
        (_("时间"), content["time"]),
        (_("地点"), content["place"]),
        (_("行为"), content["behaviour"]),
        (_("处理"), content["outcome"]),
        (_("违反"), "；".join(_article_line(a) for a in content["violated"])),
        (_("处罚依据"), "；".join(_article_line(a) for a in content["penalty"])),
        (_("处罚幅度"), penalty_range),
        (_("请您"), content["remedy"]),
        (_("期限"), content["deadline"]),
        (_("说明"), content["reason"]),
        (_("执法人员"), content["officer"]),
        (_("开具时间"), content["issued_at"]),
        (_("联系"), content["contact"]),
    ]
    return [(str(k), str(v)) for k, v in rows if v]


def _width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 1


def wrap_columns(text: str, columns: int = TEXT_COLUMNS) -> list[str]:
    """Wrap by printer columns (a Chinese character takes two)."""
    lines: list[str] = []
    for para in text.split("\n"):
        line, used = "", 0
        for ch in para:
            w = _width(ch)
            if used + w > columns:
                lines.append(line)
                line, used = "", 0
            line += ch
            used += w
        lines.append(line)
    return lines


def slip_text_lines(content: dict[str, Any]) -> list[str]:
    """The slip as printed by the text variant, one entry per printed line."""
    lines = [content["agency"], content["title"]]
    for label, value in slip_sections(content):
        whole = f"{label}：{value}"
        if len(wrap_columns(whole)) > 1 and len(wrap_columns(value)) == 1:
            # A short value (a number, a date) is never split: label above it.
            lines.extend([f"{label}：", value])
        else:
            lines.extend(wrap_columns(whole))
    lines.append(str(_("扫码核验真伪：")))
    return lines


def escpos_text(content: dict[str, Any]) -> bytes:
    p = Dummy()
    p.set(align="center", bold=True)
    p.text(content["agency"] + "\n")
    p.set(align="center", bold=True, double_height=True, double_width=True)
    p.text(content["title"] + "\n")
    p.set(align="left", bold=False, normal_textsize=True)
    for line in slip_text_lines(content)[2:]:
        p.text(line + "\n")
    p.set(align="center")
    p.qr(content["verify_url"], native=True, size=5)
    p.text(content["verify_url"] + "\n")
    p.cut()
    return bytes(p.output)


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont:
    for path, index in FONT_CANDIDATES:
        if path and Path(path).exists():
            return ImageFont.truetype(path, size, index=index)
    raise RuntimeError(
        "no CJK font found for slips: install fonts-wqy-microhei or fonts-noto-cjk, "
        "or set NUANXIN_SLIP_FONT"
    )


def _wrap_pixels(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for ch in text:
        if font.getlength(line + ch) > width and line:
            lines.append(line)
            line = ""
        line += ch
    lines.append(line)
    return lines


def qr_image(url: str, scale: int = 4) -> Image.Image:
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=scale, border=2)
    buf.seek(0)
    return Image.open(buf).convert("1")


def slip_bitmap(content: dict[str, Any]) -> Image.Image:
    """The slip as a 1-bit image exactly 384 dots wide."""
    body = _font(20)
    title = _font(32)
    head = _font(22)
    margin = 4
    inner = DOTS - 2 * margin
    blocks: list[tuple[str, ImageFont.FreeTypeFont, bool]] = [
        (content["agency"], head, True),
        (content["title"], title, True),
    ]
    for label, value in slip_sections(content):
        for line in _wrap_pixels(f"{label}：{value}", body, inner):
            blocks.append((line, body, False))
    blocks.append((str(_("扫码核验真伪：")), body, True))
    qr = qr_image(content["verify_url"])
    line_gap = 6
    heights = [int(f.getbbox("国Ag")[3]) + line_gap for _t, f, _c in blocks]
    height = margin + sum(heights) + qr.height + 40
    img = Image.new("1", (DOTS, height), 1)
    draw = ImageDraw.Draw(img)
    y = margin
    for (text, font, centred), h in zip(blocks, heights, strict=True):
        x = margin
        if centred:
            x = max(margin, int((DOTS - font.getlength(text)) / 2))
        draw.text((x, y), text, font=font, fill=0)
        y += h
    img.paste(qr, ((DOTS - qr.width) // 2, y))
    y += qr.height + 4
    small = _font(14)
    url = content["verify_url"]
    url_lines = _wrap_pixels(url, small, inner)
    for line in url_lines:
        draw.text((margin, y), line, font=small, fill=0)
        y += 18
    return img.crop((0, 0, DOTS, min(height, y + margin)))


def escpos_bitmap(content: dict[str, Any]) -> bytes:
    p = Dummy()
    p.image(slip_bitmap(content), center=False)
    p.cut()
    return bytes(p.output)


def slip_png(content: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    slip_bitmap(content).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


CPCL_FONT = 24  # the 24-dot GBK Chinese font of common CPCL handhelds
CPCL_LINE = 30
CPCL_COLUMNS = 32  # 24-dot font: 16 Chinese characters on 384 dots


def _cpcl_safe(text: str) -> str:
    # CPCL TEXT runs to the end of the line: never let data break the command.
    return text.replace("\r", " ").replace("\n", " ")


def slip_cpcl(content: dict[str, Any]) -> bytes:
    """CPCL label in GBK: `! 0 200 200 {height} 1` … `PRINT`."""
    lines = slip_text_lines(content)
    body: list[str] = []
    y = 10
    for i, line in enumerate(lines):
        if i < 2:
            body.append("CENTER")
        body.append(f"TEXT {CPCL_FONT} 0 0 {y} {_cpcl_safe(line)}")
        if i < 2:
            body.append("LEFT")
        y += CPCL_LINE
    qr_y = y + 10
    body.extend(
        [
            "CENTER",
            f"B QR 0 {qr_y} M 2 U 6",
            f"MA,{_cpcl_safe(content['verify_url'])}",
            "ENDQR",
            "LEFT",
        ]
    )
    height = qr_y + 6 * 45 + 20  # version ≤ 5 QR at unit 6, plus margin
    out = [f"! 0 200 200 {height} 1", f"PAGE-WIDTH {DOTS}", *body, "FORM", "PRINT", ""]
    return "\r\n".join(out).encode("gbk")


@lru_cache(maxsize=1)
def _pdf_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for path in ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", envstr("NUANXIN_SLIP_TTF", "")):
        if path and Path(path).exists():
            pdfmetrics.registerFont(TTFont("SlipCJK", path, subfontIndex=0))
            return "SlipCJK"
    raise RuntimeError("PDF slips need the TrueType CJK font fonts-wqy-microhei")


def slip_pdf(content: dict[str, Any]) -> bytes:
    """A 58 mm-wide PDF preview with real (extractable) text and the QR code."""
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    font = _pdf_font()
    width = 58 * mm
    margin = 3 * mm
    inner = width - 2 * margin
    size = 7.5
    leading = 10

    def wrap(text: str, fsize: float) -> list[str]:
        out, line = [], ""
        for ch in text:
            if stringWidth(line + ch, font, fsize) > inner and line:
                out.append(line)
                line = ""
            line += ch
        out.append(line)
        return out

    rows: list[tuple[str, float, bool]] = [
        (content["agency"], 9, True),
        (content["title"], 13, True),
    ]
    for label, value in slip_sections(content):
        rows.extend((line, size, False) for line in wrap(f"{label}：{value}", size))
    rows.append((str(_("扫码核验真伪：")), size, True))
    qr_size = 30 * mm
    height = margin * 2 + sum(leading + (4 if s > 9 else 0) for _l, s, _c in rows) + qr_size + 20
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(width, height))
    c.setTitle(f"{content['title']} {content['number']}")
    y = height - margin - 10
    for text, fsize, centred in rows:
        c.setFont(font, fsize)
        if centred:
            c.drawCentredString(width / 2, y, text)
        else:
            c.drawString(margin, y, text)
        y -= leading + (4 if fsize > 9 else 0)
    qr_buf = io.BytesIO()
    segno.make(content["verify_url"], error="m").save(qr_buf, kind="png", scale=10, border=2)
    qr_buf.seek(0)
    c.drawImage(ImageReader(qr_buf), (width - qr_size) / 2, y - qr_size, qr_size, qr_size)
    c.setFont(font, 5)
    c.drawCentredString(width / 2, y - qr_size - 6, content["verify_url"])
    c.showPage()
    c.save()
    return buf.getvalue()
