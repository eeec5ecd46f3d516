from __future__ import annotations

import datetime as dt

from nuanxin.lib.workdays import (
    add_calendar_days,
    add_working_days,
    calendar_status,
    is_working_day,
    legal_period_end,
    load_calendar,
    next_working_day,
    working_days_between,
)

D = dt.date


def test_plain_weekdays_and_weekends() -> None:
    assert is_working_day(D(2026, 3, 10))  # Tuesday
    assert not is_working_day(D(2026, 3, 14))  # Saturday


def test_holidays_are_rest_days_and_adjusted_weekends_are_working_days() -> None:
    assert not is_working_day(D(2026, 10, 5))  # 国庆, a Monday
    assert not is_working_day(D(2026, 2, 16))  # 春节, a Monday
    assert is_working_day(D(2026, 2, 14))  # 春节调休, a Saturday
    assert is_working_day(D(2026, 9, 20))  # 国庆调休, a Sunday
    assert is_working_day(D(2026, 10, 10))  # 国庆调休, a Saturday


def test_five_working_days_skip_the_national_day_holiday() -> None:
    # Notice served on Tuesday 29 Sept: 30 Sept is day 1, 1–7 Oct are rest days,
    # Thu 8 and Fri 9 Oct are days 2–3, Sat 10 Oct (调休) day 4, Mon 12 Oct day 5.
    assert add_working_days(D(2026, 9, 29), 5) == D(2026, 10, 12)


def test_adjusted_working_saturday_counts() -> None:
    # Served Thu 12 Feb 2026: Fri 13 (1), Sat 14 调休 (2), then 春节 15–23, Tue 24 (3)…
    assert add_working_days(D(2026, 2, 12), 3) == D(2026, 2, 24)


def test_start_day_is_not_counted() -> None:
    assert add_working_days(D(2026, 3, 9), 1) == D(2026, 3, 10)
    assert add_working_days(D(2026, 3, 9), 0) == D(2026, 3, 9)


def test_calendar_period_ending_on_a_holiday_moves_to_next_working_day() -> None:
    # 15 days after 16 Sept 2026 is 1 Oct, inside 国庆: the period ends Thu 8 Oct.
    assert add_calendar_days(D(2026, 9, 16), 15) == D(2026, 10, 8)
    assert add_calendar_days(D(2026, 3, 1), 15) == D(2026, 3, 16)


def test_legal_period_end_uses_working_days_for_2_3_5_7_only() -> None:
    assert legal_period_end(D(2026, 9, 29), 5) == D(2026, 10, 12)
    assert legal_period_end(D(2026, 3, 1), 15) == D(2026, 3, 16)
    assert legal_period_end(D(2026, 1, 1), 90) == next_working_day(D(2026, 4, 1))


def test_working_days_between() -> None:
    assert working_days_between(D(2026, 9, 29), D(2026, 10, 12)) == 5
    assert working_days_between(D(2026, 10, 12), D(2026, 10, 1)) == 0


def test_calendar_status_and_consistency() -> None:
    assert calendar_status(2026) == "official"
    assert calendar_status(2027) == "provisional"
    assert calendar_status(1999) == "missing"
    cal = load_calendar()
    assert not (cal.holidays & cal.workdays)
    for day in cal.workdays:
        assert day.weekday() >= 5, day  # 调休 days are weekend days
