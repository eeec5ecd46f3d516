"""The operator's assessment report as a PDF (ReportLab + the WenQuanYi TrueType CJK font)."""

from __future__ import annotations

import io
from functools import lru_cache

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from nuanxin.opcredit.models import Assessment

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
FONT = "WQYMicroHei"


@lru_cache(maxsize=1)
def _font() -> str:
    pdfmetrics.registerFont(TTFont(FONT, FONT_PATH, subfontIndex=0))
    return FONT


def assessment_pdf(a: Assessment) -> bytes:
    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16)
    title = ParagraphStyle("title", fontName=font, fontSize=18, leading=26, alignment=1)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=13, leading=20, spaceBefore=8)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{a.operator.name} {a.period} 考核报告",
    )
    story = [
        Paragraph("共享单车运营企业服务质量考核报告", title),
        Spacer(1, 4 * mm),
        Paragraph(f"运营企业：{a.operator.name}（{a.operator.code}）", body),
        Paragraph(f"考核期：{a.period}（{a.get_kind_display()}）", body),
        Paragraph(
            f"总得分：<b>{a.score}</b> 分　　考核结果：<b>{a.get_outcome_display()}</b>", body
        ),
        Paragraph(f"配额：{a.quota_before} → {a.quota_after} 辆", body),
        Paragraph("得分说明", h2),
    ]
    rows = [["指标", "实际值", "满分线", "零分线", "得分", "权重", "折合"]]
    for r in a.breakdown:
        rows.append(
            [
                Paragraph(str(r["label"]), body),
                str(r["value"]),
                str(r["good"]),
                str(r["bad"]),
                f"{r['score']:.2f}",
                str(r["weight"]),
                f"{r['points']:.2f}",
            ]
        )
    table = Table(rows, colWidths=[52 * mm, 22 * mm, 18 * mm, 18 * mm, 18 * mm, 14 * mm, 18 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1f5f9")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story.append(table)
    for r in a.breakdown:
        story.append(Paragraph(f"· {r['text']} {r['explain']}", body))
    story.append(Paragraph("考核结果依据", h2))
    for reason in a.outcome_reasons:
        story.append(Paragraph(f"· {reason}", body))
    m = a.metrics
    story.append(Paragraph("基础数据", h2))
    story.append(
        Paragraph(
            f"登记车辆 {m.get('fleet')} 辆；违规停放提醒 {m.get('notices')} 条，按期整改 {m.get('fixed')} 条，"
            f"逾期处罚 {m.get('penalised')} 条；有效投诉 {m.get('complaints_count')} 件。",
            body,
        )
    )
    story.append(Spacer(1, 6 * mm))
    story.append(
        Paragraph(
            f"考核规则版本 {a.rules_version}（SHA-256 {a.rules_sha256[:16]}…，本地规则，可由局方替换）。"
            f"生成时间 {timezone.localtime(a.created_at):%Y-%m-%d %H:%M}。",
            body,
        )
    )
    doc.build(story)
    return buf.getvalue()
