"""The per-process cache of spatial indexes, keyed by the spots' version stamp and interval.

The set of spots in force is constant between two change points (an effective_from or an
effective_to). An index is valid for [start, end) of its interval and for one version stamp;
any edit to the spots bumps the stamp and every cached index is dropped on the next batch.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Max
from django.utils.dateparse import parse_datetime

from nuanxin.bikes.models import SpotVersion
from nuanxin.bikes.selectors import spots_in_force, spots_next_change_after
from nuanxin.compliance.engine import SpotIndex
from nuanxin.mds.fastdb import as_aware


@dataclass
class CachedIndex:
    stamp: int
    start: datetime | None
    end: datetime | None
    index: SpotIndex

    def covers(self, at: datetime) -> bool:
        return (self.start is None or self.start <= at) and (self.end is None or at < self.end)


_lock = threading.Lock()
_cache: list[CachedIndex] = []
_MAX = 8
builds = 0  # how many indexes this process has built (tests check reloads)


def _last_change_at_or_before(at: datetime) -> datetime | None:
    agg = SpotVersion.objects.aggregate(
        f=Max("effective_from", filter=_lte("effective_from", at)),
        t=Max("effective_to", filter=_lte("effective_to", at)),
    )
    found = [v for v in (agg["f"], agg["t"]) if v is not None]
    return max(found) if found else None


def _lte(field: str, at: datetime):  # type: ignore[no-untyped-def]
    from django.db.models import Q

    return Q(**{f"{field}__lte": at})


def spots_stamp() -> int:
    """A fingerprint of the spots table. `spots_version_stamp()` (max id) is enough in
    production, but a deleted or rolled-back row can let a new row reuse an id (SQLite,
    test databases); count, latest creation and latest closing make reuse visible.

    Every ingest batch asks it. One aggregate over the four made SQLite read every row
    (1.1 ms a batch on the demo city, 1 % of it); each in its own subquery, the maxima
    are one index probe each and the count walks the narrowest index."""
    table = SpotVersion._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {table}), (SELECT COUNT(*) FROM {table}), "
            f"(SELECT MAX(created_at) FROM {table}), (SELECT MAX(effective_to) FROM {table})"
        )
        m, n, c, t = cursor.fetchone()
    key = f"{m}|{n}|{_instant(c)}|{_instant(t)}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") >> 1


def _instant(value: Any) -> datetime | None:
    """A maximum as the ORM would give it (SQLite gives a subquery's value as text)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return as_aware(value)


def index_for(at: datetime, *, stamp: int | None = None) -> tuple[CachedIndex, int]:
    """The index of spots in force at `at` (built on a miss), and the current stamp."""
    global builds
    current = spots_stamp() if stamp is None else stamp
    with _lock:
        if any(c.stamp != current for c in _cache):
            _cache[:] = [c for c in _cache if c.stamp == current]
        for cached in _cache:
            if cached.covers(at):
                return cached, current
    spots = spots_in_force(at=at)
    entry = CachedIndex(
        stamp=current,
        start=_last_change_at_or_before(at),
        end=spots_next_change_after(at=at),
        index=SpotIndex(spots),
    )
    with _lock:
        builds += 1
        _cache.insert(0, entry)
        del _cache[_MAX:]
    return entry, current


def index_clear() -> None:
    with _lock:
        _cache.clear()
