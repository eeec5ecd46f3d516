"""Operator assessments: explained scores, reward / quota cut / exit, the PDF report."""

from __future__ import annotations

import datetime as dt
import subprocess
import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command

from nuanxin.audit.models import AuditEvent
from nuanxin.bikes.models import Bike, UnregisteredSighting
from nuanxin.compliance.models import ParkingCheck
from nuanxin.core.errors import Conflict, DomainError
from nuanxin.notices.models import Notice
from nuanxin.opcredit.models import Assessment, OperatorComplaint
from nuanxin.opcredit.rules import metric_score, rules_load
from nuanxin.opcredit.services import assessment_run, period_bounds
from tests.compliance.factories import make_bike

SH = dt.timezone(dt.timedelta(hours=8))


def notice(operator, bike, issued: dt.datetime, status: str, minutes: float = 5) -> Notice:
    check = ParkingCheck.objects.create(
        bike=bike,
        operator=operator,
        observed_at=issued,
        lat=33.85,
        lng=115.78,
        accuracy_used_m=3,
        tolerance_m=1,
        source="event",
        source_id=str(uuid.uuid4()),
        verdict="outside",
        rule="beyond_error",
    )
    return Notice.objects.create(
        number=f"T{uuid.uuid4().hex[:10]}",
        kind="violation",
        status=status,
        operator=operator,
        bike=bike,
        check_ref=check,
        lat=33.85,
        lng=115.78,
        observed_at=issued,
        issued_at=issued,
        deadline=issued + dt.timedelta(minutes=15),
        due_at=issued + dt.timedelta(minutes=22),
        fixed_at=issued + dt.timedelta(minutes=minutes) if status == "fixed" else None,
    )


REGISTERED = dt.datetime(2026, 1, 1, tzinfo=SH)


def fleet(operator, n: int, registered: dt.datetime = REGISTERED) -> list:
    """`n` bikes registered before the periods the tests assess (make_bike registers now)."""
    bikes = [make_bike(operator) for _ in range(n)]
    Bike.objects.filter(pk__in=[b.pk for b in bikes]).update(registered_at=registered)
    return bikes


def test_period_bounds():
    assert period_bounds("2026-11", "monthly")[1:] == (
        dt.datetime(2026, 11, 1, tzinfo=SH),
        dt.datetime(2026, 12, 1, tzinfo=SH),
    )
    label, start, end = period_bounds("2026-Q4", "quarterly")
    assert (label, start.month, end.year, end.month) == ("2026-Q4", 10, 2027, 1)
    assert period_bounds("2026-05", "quarterly")[0] == "2026-Q2"
    with pytest.raises(DomainError):
        period_bounds("2026/11", "monthly")
    with pytest.raises(DomainError):
        period_bounds("2026-13", "monthly")


def test_metric_scores_are_linear_between_the_lines():
    assert metric_score(10, good=10, bad=30) == 100
    assert metric_score(20, good=10, bad=30) == 50
    assert metric_score(40, good=10, bad=30) == 0
    assert metric_score(0.775, good=0.95, bad=0.60) == pytest.approx(50)


def test_a_clean_operator_is_rewarded_with_an_explained_score(personas):
    op = personas.operator
    op.quota = 1000
    op.save()
    bikes = fleet(op, 50)
    notice(op, bikes[0], dt.datetime(2026, 10, 5, 9, tzinfo=SH), "fixed", minutes=6)
    a = assessment_run(operator=op, period="2026-10", by=personas.admin)
    assert a.score == Decimal("100.00")
    assert a.outcome == "reward" and (a.quota_before, a.quota_after) == (1000, 1050)
    op.refresh_from_db()
    assert op.quota == 1050
    rows = {r["metric"]: r for r in a.breakdown}
    assert rows["response_time"]["value"] == 6.0 and rows["response_time"]["score"] == 100
    assert "平均整改响应时间" in rows["response_time"]["text"]
    assert AuditEvent.objects.filter(action="opcredit.assess", object_id=str(a.pk)).exists()
    with pytest.raises(Conflict):
        assessment_run(operator=op, period="2026-10")


def test_unregistered_bikes_cut_the_quota_per_bike(personas):
    op = personas.operator
    op.quota = 1000
    op.save()
    fleet(op, 10)
    for _ in range(3):
        UnregisteredSighting.objects.create(
            operator=op,
            device_id=uuid.uuid4(),
            first_seen_at=dt.datetime(2026, 10, 3, tzinfo=SH),
            last_seen_at=dt.datetime(2026, 10, 4, tzinfo=SH),
            count=2,
        )
    a = assessment_run(operator=op, period="2026-10")
    rules = rules_load()
    cut = 3 * int(rules.outcomes["quota_cut_per_unregistered_bike"])
    assert a.metrics["unregistered_bikes"] == 3 and a.score >= 90
    # +50 reward and −30 cut: the net effect (+20) decides the outcome; both parts are said
    assert (a.outcome, a.quota_after) == ("reward", 1000 + 50 - cut)
    assert (a.outcome_detail["reward"], a.outcome_detail["cut_unregistered"]) == (50, cut)
    assert any("未登记车辆 3 辆" in r for r in a.outcome_reasons)
    assert any("即增加 50 辆" in r for r in a.outcome_reasons)
    assert "配额 1000 → 1020 辆：增加 50 辆，削减 30 辆，净变化 +20 辆。" in a.outcome_reasons


def bad_month(op, bikes, year, month):
    for i, b in enumerate(bikes):
        status = "penalised" if i % 4 else "fixed"
        notice(op, b, dt.datetime(year, month, 2 + i % 20, 10, tzinfo=SH), status, minutes=40)
    for _ in range(5):
        OperatorComplaint.objects.create(
            operator=op, received_at=dt.datetime(year, month, 9, tzinfo=SH), summary="乱停放堵路"
        )


def test_two_periods_below_the_exit_line_make_the_operator_exit(personas):
    op = personas.other_operator
    op.quota = 500
    op.save()
    bikes = fleet(op, 10)
    bad_month(op, bikes, 2026, 9)
    first = assessment_run(operator=op, period="2026-09")
    assert first.score < 60 and first.outcome == "penalty"
    assert first.quota_after == 450  # −10 %
    assert any("下一期" in r for r in first.outcome_reasons)
    bad_month(op, bikes, 2026, 10)
    second = assessment_run(operator=op, period="2026-10")
    assert second.outcome == "exit" and second.quota_after == 0
    op.refresh_from_db()
    assert op.status == "exited" and op.quota == 0


def test_period_not_over_is_refused(personas):
    with pytest.raises(DomainError) as err:
        assessment_run(operator=personas.operator, period="2099-01")
    assert err.value.code == "period_not_over"


def test_pdf_report_has_the_operator_score_and_explanations(personas, tmp_path):
    fleet(personas.operator, 4)
    a = assessment_run(operator=personas.operator, period="2026-10")
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(a.pdf.read())
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    compact = "".join(text.split())
    assert "考核报告" in compact and "青桔单车" in compact
    assert str(a.score) in compact and "平均整改响应时间" in compact


def test_command_assesses_every_operator(personas, capsys):
    call_command("operator_assess", "--period", "2026-10")
    out = capsys.readouterr().out
    assert "qingju 2026-10" in out and "hellobike 2026-10" in out
    assert Assessment.objects.count() == 2
    call_command("operator_assess", "--period", "2026-Q3", "--kind", "quarterly")
    assert Assessment.objects.filter(kind="quarterly", period="2026-Q3").count() == 2


def test_api_shows_only_own_assessments(client, personas):
    from tests.notices.test_access import token_for

    assessment_run(operator=personas.operator, period="2026-10")
    theirs = assessment_run(operator=personas.other_operator, period="2026-10")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for(personas.operator)}"}
    data = client.get("/api/v1/opcredit/assessments", **auth).json()
    assert [d["operator"] for d in data] == ["qingju"]
    assert data[0]["breakdown"][0]["text"]
    assert client.get(f"/api/v1/opcredit/assessments/{theirs.pk}", **auth).status_code == 404
