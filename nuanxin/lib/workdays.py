"""Working days and legal periods, with holidays as data (data/calendar/cn-YYYY.yaml).

Rules applied (documented in docs/architecture/cases-deliveries.md):
- 《行政处罚法》第八十五条: the periods of 二日、三日、五日、七日 in that law are *working days*.
- The day on which a period starts is not counted (《民法典》第二百零一条); a period counted in
  working days ends on the N-th working day after the start day.
- A period counted in calendar days (15-day payment, 90-day decision) whose last day is a
  statutory rest day ends on the next working day (《民法典》第二百零三条).
- A working day is Monday–Friday unless listed as a holiday, plus any weekend day listed as
  an adjusted working day (调休上班).

A year without a data file is treated as plain Monday–Friday, and `calendar_status(year)`
says so, so that pages can warn instead of silently computing a wrong date.
No Django here: pure functions over a cached, immutable calendar.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "data" / "calendar"


@dataclass(frozen=True)
class Calendar:
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]  # weekend days that are working days (调休)
    years: dict[int, str]  # year -> "official" | "provisional"
    names: dict[dt.date, str]

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


def _dates(groups: dict[str, list[str]] | None) -> dict[dt.date, str]:
    found: dict[dt.date, str] = {}
    for name, days in (groups or {}).items():
        for text in days or []:
            found[dt.date.fromisoformat(str(text))] = name
    return found


@lru_cache(maxsize=8)
def load_calendar(directory: str | None = None) -> Calendar:
    folder = Path(directory or os.environ.get("NUANXIN_CALENDAR_DIR") or DEFAULT_DIR)
    holidays: dict[dt.date, str] = {}
    workdays: dict[dt.date, str] = {}
    years: dict[int, str] = {}
    for path in sorted(folder.glob("cn-*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        year = int(data["year"])
        years[year] = str(data.get("status", "official"))
        holidays.update(_dates(data.get("holidays")))
        workdays.update(_dates(data.get("workdays")))
    overlap = set(holidays) & set(workdays)
    if overlap:
        raise ValueError(f"days listed both as holiday and as working day: {sorted(overlap)}")
    return Calendar(
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        years=years,
        names={**holidays, **workdays},
    )


def calendar_status(year: int, calendar: Calendar | None = None) -> str:
    """'official', 'provisional' or 'missing' for the given year."""
    cal = calendar or load_calendar()
    return cal.years.get(year, "missing")


def is_working_day(day: dt.date, calendar: Calendar | None = None) -> bool:
    return (calendar or load_calendar()).is_working_day(day)


def next_working_day(day: dt.date, calendar: Calendar | None = None) -> dt.date:
    """`day` itself when it is a working day, else the first working day after it."""
    cal = calendar or load_calendar()
    while not cal.is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def add_working_days(start: dt.date, days: int, calendar: Calendar | None = None) -> dt.date:
    """The last day of a period of `days` working days beginning the day after `start`."""
    if days < 0:
        raise ValueError("days must be >= 0")
    cal = calendar or load_calendar()
    day = start
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if cal.is_working_day(day):
            counted += 1
    return day


def add_calendar_days(start: dt.date, days: int, calendar: Calendar | None = None) -> dt.date:
    """The last day of a period of `days` calendar days, moved off a rest day (民法典 Art. 203)."""
    return next_working_day(start + dt.timedelta(days=days), calendar)


def working_days_between(start: dt.date, end: dt.date, calendar: Calendar | None = None) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    cal = calendar or load_calendar()
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if cal.is_working_day(day):
            count += 1
    return count


def legal_period_end(
    start: dt.date, days: int, *, calendar: Calendar | None = None, working: bool | None = None
) -> dt.date:
    """End of a period stated in 《行政处罚法》: 2/3/5/7 days are working days (Art. 85)."""
    if working is None:
        working = days in (2, 3, 5, 7)
    if working:
        return add_working_days(start, days, calendar)
    return add_calendar_days(start, days, calendar)
