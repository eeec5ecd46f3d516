from __future__ import annotations

import datetime as dt
from decimal import Decimal

from nuanxin.cases import clocks

D = dt.date


def test_decision_due_is_90_days_and_moves_off_a_holiday() -> None:
    assert clocks.decision_due(D(2026, 3, 2)) == D(2026, 5, 31) + dt.timedelta(days=1)  # Sun → Mon
    # 90 days after 3 July 2026 is 1 Oct (国庆): the deadline becomes Thu 8 Oct.
    assert clocks.decision_due(D(2026, 7, 3)) == D(2026, 10, 8)


def test_statement_period_is_five_working_days_with_holidays_and_tiaoxiu() -> None:
    assert clocks.statement_due(D(2026, 9, 29)) == D(2026, 10, 12)
    assert clocks.statement_due(D(2026, 3, 9)) == D(2026, 3, 16)


def test_no_surcharge_within_fifteen_days_of_service() -> None:
    served = D(2026, 3, 2)
    assert clocks.payment_due(served) == D(2026, 3, 17)
    assert clocks.late_surcharge(Decimal("1000"), served, D(2026, 3, 17)) == Decimal("0.00")


def test_surcharge_starts_on_day_16_at_three_percent_a_day() -> None:
    served = D(2026, 3, 2)
    assert clocks.late_surcharge(Decimal("1000"), served, D(2026, 3, 18)) == Decimal("30.00")
    assert clocks.late_surcharge(Decimal("1000"), served, D(2026, 3, 27)) == Decimal("300.00")


def test_surcharge_is_fen_exact() -> None:
    served = D(2026, 3, 2)
    # 333.33 × 3% × 7 = 69.9993 → 70.00
    assert clocks.late_surcharge(Decimal("333.33"), served, D(2026, 3, 24)) == Decimal("70.00")
    # 55.55 × 3% × 1 = 1.6665 → 1.67 (half-up)
    assert clocks.late_surcharge(Decimal("55.55"), served, D(2026, 3, 18)) == Decimal("1.67")


def test_surcharge_is_capped_at_the_fine() -> None:
    served = D(2026, 3, 2)
    # 34 days late would be 102%: capped at 100%.
    assert clocks.late_surcharge(Decimal("1000"), served, D(2026, 4, 20)) == Decimal("1000.00")
    assert clocks.late_surcharge(Decimal("1000"), served, D(2027, 1, 1)) == Decimal("1000.00")


def test_payment_period_ending_on_a_holiday_moves_on() -> None:
    served = D(2026, 9, 16)  # +15 = 1 Oct → Thu 8 Oct
    assert clocks.payment_due(served) == D(2026, 10, 8)
    assert clocks.late_surcharge(Decimal("100"), served, D(2026, 10, 8)) == Decimal("0.00")
    assert clocks.late_surcharge(Decimal("100"), served, D(2026, 10, 9)) == Decimal("3.00")


def test_deadline_state_levels() -> None:
    due = D(2026, 6, 30)
    assert clocks.deadline_state(due, D(2026, 6, 1)).level == "ok"
    assert clocks.deadline_state(due, D(2026, 6, 20)).level == "warning"
    assert clocks.deadline_state(due, D(2026, 6, 27)).level == "urgent"
    assert clocks.deadline_state(due, D(2026, 7, 1)).level == "overdue"
