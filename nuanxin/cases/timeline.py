"""Cases on a party's life-cycle timeline, and the party timeline (page, API, PDF).

`timeline_entries(*, merchant)` is this app's provider for nuanxin.merchants.timeline.
`party_timeline(party)` assembles everything about any party: for a merchant party the
merchant timeline (education, warnings, complaints, credit… from every app, which includes
these case entries); for a person or operator, the case entries plus the violations app's
entries for that party when it offers them.
"""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.cases.models import Case, CaseAction, CaseStatus
from nuanxin.merchants.timeline import TimelineEntry, timeline_for

ACTION_TITLES = {
    "file": "立案",
    "filing_approve": "负责人批准立案",
    "review_pass": "法制审核通过",
    "review_return": "法制审核退回补充调查",
    "penalty_approve": "负责人批准处罚意见",
    "notify": "送达行政处罚事先告知书",
    "notice_served": "事先告知书电子送达",
    "hearing_request": "当事人申请听证",
    "statement": "当事人陈述",
    "defence": "当事人申辩",
    "decide": "作出行政处罚决定",
    "decide_onspot": "当场作出行政处罚决定（简易程序）",
    "serve": "处罚决定书送达",
    "payment": "缴纳罚款",
    "remind": "催告缴纳罚款",
    "close": "结案",
    "withdraw": "撤销立案",
    "no_penalty": "决定不予行政处罚",
}
# Entries safe for the public merchant page: outcomes, not the investigation.
PUBLIC_KINDS = {"decide", "decide_onspot", "close", "no_penalty"}


def _local(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


def _entries_for_cases(cases: Any) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    actions = (
        CaseAction.objects.filter(case__in=cases, kind__in=ACTION_TITLES)
        .select_related("case")
        .order_by("at")
    )
    for action in actions:
        case = action.case
        title = _(ACTION_TITLES[action.kind])
        detail = f"{case.number} · {case.tag_name}"
        if action.kind in ("decide", "decide_onspot"):
            detail += " · " + (
                _("警告") if case.warning_only else _("罚款%(a)s元") % {"a": case.fine_amount}
            )
        if action.kind == "payment":
            detail += " · " + _("%(a)s元") % {"a": action.data.get("amount", "")}
        entries.append(
            TimelineEntry(
                at=action.at,
                kind=f"case.{action.kind}",
                title=title,
                detail=detail,
                url=reverse("cases:detail", args=[case.pk]),
                public=action.kind in PUBLIC_KINDS,
                extra={"case_id": case.pk, "status": case.status},
            )
        )
    return entries


def timeline_entries(*, merchant: Any) -> list[TimelineEntry]:
    """Provider for nuanxin.merchants.timeline: this merchant's cases, penalties, payments."""
    return _entries_for_cases(Case.objects.filter(merchant=merchant))


def party_timeline(party: Any) -> list[TimelineEntry]:
    if party.merchant_id is not None:
        return timeline_for(merchant=party.merchant)
    entries = _entries_for_cases(Case.objects.filter(party=party))
    try:
        module = importlib.import_module("nuanxin.violations.timeline")
    except ModuleNotFoundError:
        module = None
    provider = getattr(module, "party_timeline_entries", None)
    if provider is not None:
        entries.extend(provider(party=party))
    return sorted(entries, key=lambda e: e.at, reverse=True)


def party_summary(party: Any) -> dict[str, Any]:
    cases = Case.objects.filter(party=party)
    decided = cases.exclude(
        status__in=[CaseStatus.FILED, CaseStatus.INVESTIGATING, CaseStatus.WITHDRAWN]
    )
    fines = sum((c.fine_amount for c in decided if c.decided_on), start=0)
    paid = sum((c.paid_total() for c in decided.prefetch_related("payments")), start=0)
    return {
        "cases": cases.count(),
        "open_cases": cases.exclude(status__in=[CaseStatus.CLOSED, CaseStatus.WITHDRAWN]).count(),
        "fines": f"{fines:.2f}",
        "paid": f"{paid:.2f}",
    }


def timeline_pdf(party: Any, entries: list[TimelineEntry]) -> bytes:
    """A printable life-cycle record (A4, CJK font from the documents app's renderer)."""
    import io
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from nuanxin.documents.render import cjk_font

    font = cjk_font()
    base = ParagraphStyle("b", fontName=font, fontSize=9.5, leading=14, wordWrap="CJK")
    title = ParagraphStyle("t", parent=base, fontSize=16, leading=24, alignment=1)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=_("当事人全生命周期记录"),
    )
    summary = party_summary(party)
    story: list[Any] = [
        Paragraph(escape(_("当事人全生命周期记录")), title),
        Spacer(1, 4 * mm),
        Paragraph(
            escape(
                _("当事人：%(name)s（%(kind)s）  证件号：%(id)s")
                % {
                    "name": party.name,
                    "kind": party.get_kind_display(),
                    "id": party.id_number_masked or "—",
                }
            ),
            base,
        ),
        Paragraph(
            escape(
                _(
                    "案件%(cases)s件（在办%(open)s件），罚款合计%(fines)s元，已缴%(paid)s元。生成时间：%(now)s"
                )
                % {
                    "cases": summary["cases"],
                    "open": summary["open_cases"],
                    "fines": summary["fines"],
                    "paid": summary["paid"],
                    "now": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
                }
            ),
            base,
        ),
        Spacer(1, 4 * mm),
    ]
    rows = [[Paragraph(escape(h), base) for h in (_("时间"), _("事项"), _("说明"))]]
    for entry in entries:
        rows.append(
            [
                Paragraph(timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M"), base),
                Paragraph(escape(entry.title), base),
                Paragraph(escape(entry.detail), base),
            ]
        )
    if len(rows) == 1:
        rows.append([Paragraph("—", base), Paragraph(escape(_("暂无记录")), base), ""])
    table = Table(rows, colWidths=[32 * mm, 48 * mm, 94 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3efe6")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    doc.build(story)
    return out.getvalue()
