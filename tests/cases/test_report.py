from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from nuanxin.cases.models import Case, CaseStatus
from nuanxin.cases.report import consistency_report, report_xlsx
from nuanxin.cases.services.common import party_resolve

TODAY = dt.date(2026, 6, 15)


def _case(
    p: Any,
    n: int,
    *,
    officer: Any,
    party: Any,
    level: str,
    fine: str,
    proposed: str = "general",
    departure: bool = False,
    district: Any = None,
    status: str = CaseStatus.DECIDED,
    tag: str = "outside_shop_trading",
) -> Case:
    district = district or officer.district
    second = p.officer_a2 if officer != p.officer_a2 else p.officer_a
    if district == p.district_b:
        second = p.officer_a  # officers may help out across districts
    return Case.objects.create(
        number=f"T-{n}",
        bureau=p.bureau,
        district=district,
        status=status,
        party=party,
        party_kind=party.kind,
        party_name=party.name,
        merchant=party.merchant,
        tag_code=tag,
        tag_name="店外经营",
        facts="f",
        place="p",
        occurred_at=timezone.now(),
        proposed_level=proposed,
        proposed_amount=Decimal("500"),
        level=level,
        fine_amount=Decimal(fine),
        departure_flagged=departure,
        departure_reason="理由理由理由理由理由" if departure else "",
        lead_officer=officer,
        second_officer=second,
        filed_on=TODAY,
        decision_due=TODAY + dt.timedelta(days=90),
    )


def test_report_figures_on_constructed_cases(personas: Any) -> None:
    p = personas
    shop = party_resolve(p.merchant_shop, by=p.officer_a)
    other = party_resolve(p.operator, by=p.officer_a)
    _case(p, 1, officer=p.officer_a, party=shop, level="general", fine="500")
    _case(p, 2, officer=p.officer_a, party=shop, level="lighter", fine="200", departure=True)
    _case(p, 3, officer=p.officer_a, party=other, level="general", fine="500")
    _case(p, 4, officer=p.officer_a, party=other, level="heavier", fine="900", proposed="heavier")
    _case(p, 5, officer=p.officer_b, party=other, level="general", fine="500")
    _case(
        p,
        6,
        officer=p.officer_a,
        party=other,
        level="general",
        fine="500",
        status=CaseStatus.INVESTIGATING,
    )  # not decided: not counted
    report = consistency_report(start=TODAY, end=TODAY)
    officer_a = next(r for r in report.by_officer if r.key == p.officer_a.pk)
    assert officer_a.total == 4
    assert officer_a.levels == {"none": 0, "lighter": 1, "general": 2, "heavier": 1}
    assert officer_a.share("general") == 0.5 and officer_a.departures == 1
    assert officer_a.departure_share == 0.25 and officer_a.fines == Decimal("2100.00")
    officer_b = next(r for r in report.by_officer if r.key == p.officer_b.pk)
    assert officer_b.total == 1 and officer_b.share("general") == 1.0
    by_district = {r.key: r.total for r in report.by_district}
    assert by_district == {p.district_a.pk: 4, p.district_b.pk: 1}
    # Same party, same behaviour, same proposal, different outcome: only the shop.
    assert [g["party_name"] for g in report.inconsistent_repeats] == [shop.name]
    assert {c["fine"] for c in report.inconsistent_repeats[0]["cases"]} == {"500.00", "200.00"}
    only_b = consistency_report(start=TODAY, end=TODAY, district_id=p.district_b.pk)
    assert [r.total for r in only_b.by_officer] == [1]
    book = load_workbook(__import__("io").BytesIO(report_xlsx(report)))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[1][0] == str(p.officer_a) and rows[1][1] == 4
    assert len(book.sheetnames) == 4


def test_substantiated_complaints_never_acted_on(personas: Any) -> None:
    from django.apps import apps

    try:
        complaint = apps.get_model("feedback", "Complaint")
        complaint.objects.exists()
    except Exception:  # the feedback app's tables are not there yet
        pytest.skip("feedback.Complaint not available")
    p = personas
    when = timezone.make_aware(dt.datetime(2026, 6, 10, 10, 0))
    complaint.objects.create(
        tracking_no="TS-1",
        source="scan",
        merchant=p.merchant_shop,
        category="油烟",
        description="油烟扰民",
        substantiated=True,
        created_at=when,
    )
    complaint.objects.create(
        tracking_no="TS-2",
        source="scan",
        merchant=p.merchant_shop,
        category="油烟",
        description="仍然油烟扰民",
        substantiated=False,
        created_at=when,
    )
    report = consistency_report(start=dt.date(2026, 6, 1), end=TODAY)
    assert [(r["merchant_name"], r["complaints"]) for r in report.ignored_complaints] == [
        (p.merchant_shop.name, 1)
    ]
    shop = party_resolve(p.merchant_shop, by=p.officer_a)
    c = _case(p, 9, officer=p.officer_a, party=shop, level="general", fine="500")
    Case.objects.filter(pk=c.pk).update(created_at=when + dt.timedelta(days=1))
    assert consistency_report(start=dt.date(2026, 6, 1), end=TODAY).ignored_complaints == []
