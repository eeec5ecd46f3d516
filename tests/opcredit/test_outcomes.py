"""What an assessment does: exit only after adjacent low periods, one consequence per event,
the outcome following the net quota change, whole-bike rounding, fair metrics, reinstatement."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
import yaml

from nuanxin.audit.models import AuditEvent
from nuanxin.bikes.models import Operator, UnregisteredSighting
from nuanxin.core.errors import Conflict, DomainError, NotAllowed
from nuanxin.opcredit.models import Assessment, OperatorComplaint
from nuanxin.opcredit.rules import rules_load, rules_path
from nuanxin.opcredit.services import (
    _bikes,
    assessment_run,
    operator_reinstate,
    period_adjacent,
)
from tests.opcredit.test_assess import SH, bad_month, fleet, notice


def with_quota(op, quota: int):
    op.quota = quota
    op.save(update_fields=["quota"])
    return op


def run(op, period: str, kind: str = "monthly", **kw) -> Assessment:
    a = assessment_run(operator=op, period=period, kind=kind, **kw)
    op.refresh_from_db()
    return a


def sighting(op, first: dt.datetime, last: dt.datetime, device=None) -> UnregisteredSighting:
    return UnregisteredSighting.objects.create(
        operator=op, device_id=device or uuid.uuid4(), first_seen_at=first, last_seen_at=last
    )


# 1. Exit needs the immediately preceding (or following) period of the same kind


def test_adjacent_periods():
    assert period_adjacent("2026-08", "monthly", -1) == "2026-07"
    assert period_adjacent("2026-01", "monthly", -1) == "2025-12"
    assert period_adjacent("2026-12", "monthly", 1) == "2027-01"
    assert period_adjacent("2026-Q3", "quarterly", -1) == "2026-Q2"
    assert period_adjacent("2026-Q1", "quarterly", -1) == "2025-Q4"
    assert period_adjacent("2026-Q4", "quarterly", 1) == "2027-Q1"


def test_two_low_months_with_unassessed_months_between_do_not_make_the_operator_exit(personas):
    op = with_quota(personas.other_operator, 500)
    bikes = fleet(op, 10)
    bad_month(op, bikes, 2026, 3)
    bad_month(op, bikes, 2026, 8)
    march = run(op, "2026-03")
    august = run(op, "2026-08")  # April–July never assessed
    assert march.score < 60 and august.score < 60
    assert august.outcome == "penalty" and op.status == "active"
    assert august.outcome_detail["low_run"] == ["2026-08"]
    assert any("下一期（2026-09）" in r for r in august.outcome_reasons)


def test_a_low_month_assessed_after_the_next_one_completes_the_run(personas):
    op = with_quota(personas.other_operator, 500)
    bikes = fleet(op, 10)
    bad_month(op, bikes, 2026, 7)
    bad_month(op, bikes, 2026, 8)
    august = run(op, "2026-08")  # July not assessed yet: a warning, no exit
    assert august.outcome == "penalty" and op.status == "active"
    july = run(op, "2026-07")  # run late: July and August are adjacent and both low
    assert july.outcome == "exit" and july.quota_after == 0
    assert op.status == "exited" and op.quota == 0
    assert july.outcome_reasons[0] == "2026-07、2026-08 连续 2 期得分低于 60 分，依规清退。"


def test_a_quarterly_exit_needs_adjacent_quarters(personas):
    op = with_quota(personas.other_operator, 500)
    bikes = fleet(op, 10)
    for month in (2, 5, 8):
        bad_month(op, bikes, 2026, month)
    assert run(op, "2026-Q1", "quarterly").outcome == "none"
    q3 = run(op, "2026-Q3", "quarterly")
    assert q3.outcome == "none" and op.status == "active"  # Q2 missing: no exit
    q2 = run(op, "2026-Q2", "quarterly")
    assert q2.outcome == "exit" and q2.outcome_detail["low_run"] == [
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
    ]
    assert op.status == "exited"


# 2. Response time: unfixed reminders count; full marks only without reminders


def test_penalised_reminders_count_as_the_unfixed_minutes(personas):
    op = with_quota(personas.operator, 1000)
    bikes = fleet(op, 100)
    for i in range(5):
        notice(op, bikes[i], dt.datetime(2026, 10, 3 + i, 9, tzinfo=SH), "penalised")
    a = run(op, "2026-10")
    rows = {r["metric"]: r for r in a.breakdown}
    assert a.metrics["response_time"] == 30.0 and rows["response_time"]["score"] == 0
    assert "逾期未整改（已处罚）5 条，每条按 30 分钟计" in rows["response_time"]["text"]


def test_fixed_and_unfixed_reminders_average_together(personas):
    op = personas.operator
    bikes = fleet(op, 100)
    notice(op, bikes[0], dt.datetime(2026, 10, 3, 9, tzinfo=SH), "fixed", minutes=6)
    notice(op, bikes[1], dt.datetime(2026, 10, 4, 9, tzinfo=SH), "penalised")
    a = run(op, "2026-10")
    assert a.metrics["response_time"] == pytest.approx(18.0)  # (6 + 30) / 2


def test_no_reminders_is_full_marks_and_says_so(personas):
    fleet(personas.operator, 10)
    a = run(personas.operator, "2026-10")
    row = next(r for r in a.breakdown if r["metric"] == "response_time")
    assert row["score"] == 100 and "本期无已判定的违规提醒，计满分。" in row["text"]


# 3. No fleet: raw counts, and no reward


def test_an_operator_without_bikes_is_scored_on_raw_counts_and_not_rewarded(personas):
    op = with_quota(personas.operator, 100)
    for _ in range(5):
        OperatorComplaint.objects.create(
            operator=op, received_at=dt.datetime(2026, 10, 9, tzinfo=SH), summary="乱停放"
        )
    a = run(op, "2026-10")
    rows = {r["metric"]: r for r in a.breakdown}
    assert a.metrics["complaints"] == 5 and rows["complaints"]["score"] == 0
    assert a.metrics["fleet"] == 0 and a.metrics["rate_basis"] == "raw_count"
    assert "按原始次数计" in rows["complaints"]["text"]
    assert a.score < 100 and (a.outcome, a.quota_after, op.quota) == ("none", 100, 100)


def test_an_operator_without_bikes_or_activity_is_not_rewarded(personas):
    op = with_quota(personas.operator, 100)
    a = run(op, "2026-10")
    assert a.score == 100 and (a.outcome, a.quota_after) == ("none", 100)
    assert a.outcome_reasons == ["得分不低于 90 分，但本期登记车辆少于 1 辆，不予奖励。"]


# 4. One event, one consequence


def test_one_unregistered_bike_cuts_the_quota_once(personas):
    op = with_quota(personas.operator, 1000)
    fleet(op, 100)
    device = uuid.uuid4()
    seen = sighting(
        op, dt.datetime(2026, 7, 10, tzinfo=SH), dt.datetime(2026, 7, 12, tzinfo=SH), device
    )
    july = run(op, "2026-07")
    assert (july.quota_before, july.quota_after) == (1000, 1040)  # +50 reward −10 cut
    q3 = run(op, "2026-Q3", "quarterly")
    assert (q3.outcome, q3.quota_before, q3.quota_after, op.quota) == ("none", 1040, 1040, 1040)
    assert july.outcome_detail["devices_cut"] == [str(device)]
    assert q3.metrics["unregistered_bikes"] == 1  # scored, not cut again
    assert any("季度考核只计分" in r for r in q3.outcome_reasons)
    seen.last_seen_at = dt.datetime(2026, 8, 5, tzinfo=SH)  # the same bike, still out in August
    seen.save()
    august = run(op, "2026-08")
    assert (august.quota_before, august.quota_after) == (1040, 1092)  # reward only
    assert august.outcome_detail["cut_unregistered"] == 0
    assert any("1 辆已在此前考核中削减过配额" in r for r in august.outcome_reasons)


def test_a_quarterly_assessment_does_not_stack_rewards(personas):
    op = with_quota(personas.operator, 1000)
    fleet(op, 100)
    assert run(op, "2026-07").quota_after == 1050
    q3 = run(op, "2026-Q3", "quarterly")
    assert q3.score == 100 and (q3.outcome, q3.quota_after, op.quota) == ("none", 1050, 1050)


def test_what_each_kind_does_is_read_from_the_rules(personas, tmp_path):
    data = yaml.safe_load(rules_path().read_text(encoding="utf-8"))
    data["kinds"] = {
        "monthly": {"adjusts_quota": False, "decides_exit": False},
        "quarterly": {"adjusts_quota": True, "decides_exit": True},
    }
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    rules = rules_load(path)
    op = with_quota(personas.operator, 1000)
    fleet(op, 100)
    assert run(op, "2026-07", rules=rules).quota_after == 1000
    assert run(op, "2026-Q3", "quarterly", rules=rules).quota_after == 1050


@pytest.mark.parametrize(
    ("section", "key"), [("kinds", "quarterly"), ("outcomes", "reward_min_bikes")]
)
def test_rules_without_a_required_setting_are_refused(tmp_path, section, key):
    data = yaml.safe_load(rules_path().read_text(encoding="utf-8"))
    del data[section][key]
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DomainError) as err:
        rules_load(path)
    assert err.value.code == "opcredit_rules_invalid" and key in err.value.message


# 5. The outcome follows the net change; both parts are said


def test_a_reward_smaller_than_the_cuts_is_a_penalty_that_names_both(personas):
    op = with_quota(personas.operator, 1000)
    fleet(op, 100)
    for day in range(1, 7):
        sighting(
            op, dt.datetime(2026, 10, day, tzinfo=SH), dt.datetime(2026, 10, day, 9, tzinfo=SH)
        )
    a = run(op, "2026-10")
    assert a.score >= 90 and (a.outcome, a.quota_after) == ("penalty", 990)
    assert any("即增加 50 辆" in r for r in a.outcome_reasons)
    assert "发现未登记车辆 6 辆，每辆削减配额 10 辆，共 60 辆。" in a.outcome_reasons
    assert "配额 1000 → 990 辆：增加 50 辆，削减 60 辆，净变化 -10 辆。" in a.outcome_reasons


# 6. Whole bikes, half up, at least one


def test_quota_percentages_round_half_up():
    assert _bikes(10, Decimal(5)) == 1  # 0.5: banker's rounding gave 0
    assert _bikes(50, Decimal(5)) == 3  # 2.5: banker's rounding gave 2
    assert _bikes(1000, Decimal(5)) == 50
    assert _bikes(0, Decimal(5)) == 0


@pytest.mark.parametrize(("quota", "after"), [(0, 1), (10, 11), (50, 53), (1000, 1050)])
def test_a_reward_adds_at_least_one_bike(personas, quota, after):
    op = with_quota(personas.operator, quota)
    fleet(op, 100)
    a = run(op, "2026-10")
    assert (a.outcome, a.quota_after, op.quota) == ("reward", after, after)


def test_a_score_penalty_cuts_at_least_one_bike_and_never_below_zero(personas):
    op = with_quota(personas.other_operator, 4)
    bikes = fleet(op, 10)
    bad_month(op, bikes, 2026, 9)
    a = run(op, "2026-09")
    assert (a.outcome, a.quota_after) == ("penalty", 3)  # 10 % of 4 = 0.4 → at least 1


def test_cuts_beyond_the_quota_stop_at_zero_and_say_what_was_cut(personas):
    op = with_quota(personas.operator, 5)
    fleet(op, 100)
    for day in range(1, 4):
        sighting(
            op, dt.datetime(2026, 10, day, tzinfo=SH), dt.datetime(2026, 10, day, 9, tzinfo=SH)
        )
    a = run(op, "2026-10")
    assert (a.outcome, a.quota_after, op.quota) == ("penalty", 0, 0)
    assert "配额 5 → 0 辆：增加 1 辆，削减 6 辆，净变化 -5 辆。" in a.outcome_reasons


# Reinstatement (a bureau decision, audited)


def exited(personas) -> Operator:
    op = with_quota(personas.other_operator, 500)
    bikes = fleet(op, 10)
    for month in (7, 8, 9):
        bad_month(op, bikes, 2026, month)
    run(op, "2026-07")
    assert run(op, "2026-08").outcome == "exit"
    return op


def test_a_chief_reinstates_an_exited_operator_and_its_spent_run_does_not_count(personas):
    op = exited(personas)
    operator_reinstate(operator=op, by=personas.chief, reason="整改到位，局务会决定恢复", quota=200)
    op.refresh_from_db()
    assert (op.status, op.quota) == ("active", 200)
    event = AuditEvent.objects.get(action="opcredit.reinstate", object_id=str(op.pk))
    assert event.actor == personas.chief and event.before == {"status": "exited", "quota": 0}
    assert event.after == {"status": "active", "quota": 200, "reason": "整改到位，局务会决定恢复"}
    september = run(op, "2026-09")  # low again, but July–August already made it exit
    assert september.outcome == "penalty" and op.status == "active"
    assert september.outcome_detail["low_run"] == ["2026-09"]


def test_reinstating_is_refused_without_power_reason_or_exit(personas):
    op = exited(personas)
    with pytest.raises(NotAllowed):
        operator_reinstate(operator=op, by=personas.officer_a, reason="x")
    with pytest.raises(DomainError) as err:
        operator_reinstate(operator=op, by=personas.admin, reason="  ")
    assert err.value.code == "reason_required"
    with pytest.raises(Conflict):
        operator_reinstate(operator=personas.operator, by=personas.admin, reason="x")
    op.refresh_from_db()
    assert op.status == "exited"
    assert not AuditEvent.objects.filter(action="opcredit.reinstate").exists()


def test_the_command_reinstates_and_names_a_refusal(personas, capsys):
    from django.core.management import CommandError, call_command

    op = exited(personas)
    with pytest.raises(CommandError, match="not_chief"):
        call_command(
            "operator_reinstate", "--operator", op.code, "--by", "outsider", "--reason", "x"
        )
    call_command(
        "operator_reinstate",
        "--operator",
        op.code,
        "--by",
        "chief",
        "--reason",
        "整改到位",
        "--quota",
        "100",
    )
    assert capsys.readouterr().out.strip() == f"{op.code}: active, quota 100"
