"""Legal clocks of a penalty case, as pure functions (no database).

- Art. 60: decide within 90 days of filing (calendar days; a last day on a rest day moves on).
- Art. 44/45, 63/64: the party may state, defend or ask for a hearing within 5 *working* days
  of being served the prior notice (Art. 85).
- Art. 67: pay within 15 days of service of the decision.
- Art. 72(1)(一): from the day after the payment period ends, 3% of the fine per day,
  never more than the fine itself. Computed on Decimal fen, rounded half-up once per total.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from nuanxin.lib.workdays import add_calendar_days, add_working_days

DECISION_DAYS = 90
STATEMENT_WORKING_DAYS = 5
PAYMENT_DAYS = 15
SURCHARGE_RATE_PER_DAY = Decimal("0.03")
FEN = Decimal("0.01")

# Warning thresholds before the 90-day decision deadline (calendar days left).
WARN_DAYS = 15
URGENT_DAYS = 5


def decision_due(filed_on: dt.date) -> dt.date:
    return add_calendar_days(filed_on, DECISION_DAYS)


def statement_due(notice_served_on: dt.date) -> dt.date:
    return add_working_days(notice_served_on, STATEMENT_WORKING_DAYS)


def payment_due(decision_served_on: dt.date) -> dt.date:
    return add_calendar_days(decision_served_on, PAYMENT_DAYS)


def late_days(decision_served_on: dt.date, as_of: dt.date) -> int:
    """Days of surcharge accrued by `as_of` (0 while the payment period runs)."""
    return max(0, (as_of - payment_due(decision_served_on)).days)


def late_surcharge(fine: Decimal, decision_served_on: dt.date, as_of: dt.date) -> Decimal:
    """加处罚款 accrued by `as_of`, fen-exact, capped at the fine (Art. 72)."""
    fine = Decimal(fine)
    days = late_days(decision_served_on, as_of)
    if days == 0 or fine <= 0:
        return Decimal("0.00")
    raw = (fine * SURCHARGE_RATE_PER_DAY * days).quantize(FEN, rounding=ROUND_HALF_UP)
    return min(raw, fine.quantize(FEN))


@dataclass(frozen=True)
class DeadlineState:
    due: dt.date
    days_left: int
    level: str  # "ok" | "warning" | "urgent" | "overdue"


def deadline_state(due: dt.date, today: dt.date) -> DeadlineState:
    left = (due - today).days
    if left < 0:
        level = "overdue"
    elif left <= URGENT_DAYS:
        level = "urgent"
    elif left <= WARN_DAYS:
        level = "warning"
    else:
        level = "ok"
    return DeadlineState(due=due, days_left=left, level=level)
