"""Discretion-consistency report: a tool for seeing arbitrary or selective enforcement.

For a period, per officer (the lead officer) and per district:
- how many cases ended at each discretion level, and the share of each;
- how many departed from the 裁量基准's proposal (and the share);
- repeat parties treated differently: the same party and behaviour, with the same proposed
  level, but a different level or amount decided;
- parties never acted on despite complaints: substantiated complaints against a merchant
  with no violation and no case recorded for that merchant since the complaint.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from nuanxin.cases.models import Case, CaseStatus
from nuanxin.core.dbrouters import reports_on_replica

LEVELS = ["none", "lighter", "general", "heavier"]
# Cases whose outcome is settled enough to compare (decided, or closed without penalty).
COUNTED = [
    CaseStatus.DECIDED,
    CaseStatus.SERVED,
    CaseStatus.EXECUTING,
    CaseStatus.CLOSED,
    CaseStatus.NO_PENALTY,
]


@dataclass
class GroupRow:
    key: int
    label: str
    total: int = 0
    levels: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    departures: int = 0
    fines: Decimal = Decimal("0.00")

    def share(self, level: str) -> float:
        return round(self.levels[level] / self.total, 4) if self.total else 0.0

    @property
    def departure_share(self) -> float:
        return round(self.departures / self.total, 4) if self.total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.key,
            "label": self.label,
            "total": self.total,
            "levels": dict(self.levels),
            "shares": {lvl: self.share(lvl) for lvl in LEVELS},
            "departures": self.departures,
            "departure_share": self.departure_share,
            "fines": str(self.fines),
        }


@dataclass
class Report:
    start: dt.date
    end: dt.date
    district_id: int | None
    by_officer: list[GroupRow]
    by_district: list[GroupRow]
    inconsistent_repeats: list[dict[str, Any]]
    ignored_complaints: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "district_id": self.district_id,
            "by_officer": [r.as_dict() for r in self.by_officer],
            "by_district": [r.as_dict() for r in self.by_district],
            "inconsistent_repeats": self.inconsistent_repeats,
            "ignored_complaints": self.ignored_complaints,
        }


def _cases(start: dt.date, end: dt.date, district_id: int | None) -> QuerySet[Case]:
    queryset = Case.objects.filter(
        status__in=COUNTED, filed_on__gte=start, filed_on__lte=end
    ).select_related("lead_officer", "district")
    if district_id is not None:
        queryset = queryset.filter(district_id=district_id)
    return queryset


def _add(row: GroupRow, case: Case) -> None:
    row.total += 1
    level = case.level if case.level in LEVELS else "general"
    row.levels[level] += 1
    row.departures += int(case.departure_flagged)
    row.fines += case.fine_amount


def _repeats(cases: list[Case]) -> list[dict[str, Any]]:
    groups: dict[tuple[Any, str, str], list[Case]] = defaultdict(list)
    for case in cases:
        if case.party_id is not None:
            groups[(case.party_id, case.tag_code, case.proposed_level)].append(case)
    found = []
    for (_party, tag_code, proposed), members in groups.items():
        outcomes = {(c.level, c.fine_amount) for c in members}
        if len(members) < 2 or len(outcomes) < 2:
            continue
        found.append(
            {
                "party_id": members[0].party_id,
                "party_name": members[0].party_name,
                "tag_code": tag_code,
                "tag_name": members[0].tag_name,
                "proposed_level": proposed,
                "cases": [
                    {
                        "id": c.pk,
                        "number": c.number,
                        "officer": str(c.lead_officer),
                        "level": c.level,
                        "fine": str(c.fine_amount),
                        "departure_reason": c.departure_reason,
                    }
                    for c in sorted(members, key=lambda c: (c.filed_on, c.pk))
                ],
            }
        )
    return sorted(found, key=lambda r: (r["party_name"], r["tag_code"]))


def _ignored_complaints(
    start: dt.date, end: dt.date, district_id: int | None
) -> list[dict[str, Any]]:
    """Merchants with substantiated complaints in the period and no enforcement since."""
    try:
        complaint_model = apps.get_model("feedback", "Complaint")
    except LookupError:
        return []
    complaints = complaint_model.objects.filter(
        substantiated=True,
        merchant__isnull=False,
        created_at__date__gte=start,
        created_at__date__lte=end,
    ).select_related("merchant", "merchant__district")
    if district_id is not None:
        complaints = complaints.filter(merchant__district_id=district_id)
    by_merchant: dict[Any, list[Any]] = defaultdict(list)
    for complaint in complaints:
        by_merchant[complaint.merchant_id].append(complaint)
    try:
        violation_model = apps.get_model("violations", "Violation")
    except LookupError:
        violation_model = None
    rows = []
    for merchant_id, items in by_merchant.items():
        first = min(c.created_at for c in items)
        acted = Case.objects.filter(merchant_id=merchant_id, created_at__gte=first).exists()
        if not acted and violation_model is not None:
            acted = violation_model.objects.filter(
                party__merchant_id=merchant_id, recorded_at__gte=first
            ).exists()
        if acted:
            continue
        merchant = items[0].merchant
        rows.append(
            {
                "merchant_id": merchant_id,
                "merchant_name": merchant.name,
                "district": merchant.district.name,
                "complaints": len(items),
                "first_complaint": first.date().isoformat(),
                "tracking_nos": [c.tracking_no for c in items],
            }
        )
    return sorted(rows, key=lambda r: (-r["complaints"], r["merchant_name"]))


def consistency_report(*, start: dt.date, end: dt.date, district_id: int | None = None) -> Report:
    """Read from the reports replica when one is configured."""
    with reports_on_replica():
        return _consistency_report(start=start, end=end, district_id=district_id)


def _consistency_report(*, start: dt.date, end: dt.date, district_id: int | None) -> Report:
    cases = list(_cases(start, end, district_id))
    officers: dict[int, GroupRow] = {}
    districts: dict[int, GroupRow] = {}
    for case in cases:
        officer = officers.setdefault(
            case.lead_officer_id, GroupRow(key=case.lead_officer_id, label=str(case.lead_officer))
        )
        _add(officer, case)
        district = districts.setdefault(
            case.district_id, GroupRow(key=case.district_id, label=case.district.name)
        )
        _add(district, case)
    return Report(
        start=start,
        end=end,
        district_id=district_id,
        by_officer=sorted(officers.values(), key=lambda r: (-r.total, r.label)),
        by_district=sorted(districts.values(), key=lambda r: r.label),
        inconsistent_repeats=_repeats(cases),
        ignored_complaints=_ignored_complaints(start, end, district_id),
    )


def report_xlsx(report: Report) -> bytes:
    """The report as an Excel workbook (one sheet per section)."""
    from openpyxl import Workbook

    level_labels = [str(Case.Level(lvl).label) for lvl in LEVELS]
    book = Workbook()
    for index, (title, rows) in enumerate(
        [(_("按执法人员"), report.by_officer), (_("按辖区"), report.by_district)]
    ):
        sheet = book.active if index == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = title
        sheet.append(
            [
                _("名称"),
                _("案件数"),
                *level_labels,
                *[f"{lb}%" for lb in level_labels],
                _("偏离基准"),
                _("偏离比例%"),
                _("罚款合计（元）"),
            ]
        )
        for row in rows:
            sheet.append(
                [
                    row.label,
                    row.total,
                    *[row.levels[lv] for lv in LEVELS],
                    *[round(row.share(lv) * 100, 1) for lv in LEVELS],
                    row.departures,
                    round(row.departure_share * 100, 1),
                    float(row.fines),
                ]
            )
    sheet = book.create_sheet(_("同案不同罚"))
    sheet.append(
        [
            _("当事人"),
            _("行为"),
            _("建议等级"),
            _("案件编号"),
            _("承办人"),
            _("裁量等级"),
            _("罚款（元）"),
            _("偏离理由"),
        ]
    )
    for group in report.inconsistent_repeats:
        for c in group["cases"]:
            sheet.append(
                [
                    group["party_name"],
                    group["tag_name"],
                    group["proposed_level"],
                    c["number"],
                    c["officer"],
                    c["level"],
                    float(c["fine"]),
                    c["departure_reason"],
                ]
            )
    sheet = book.create_sheet(_("投诉未处置"))
    sheet.append([_("市场主体"), _("辖区"), _("属实投诉数"), _("首次投诉"), _("受理编号")])
    for item in report.ignored_complaints:
        sheet.append(
            [
                item["merchant_name"],
                item["district"],
                item["complaints"],
                item["first_complaint"],
                "、".join(item["tracking_nos"]),
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
