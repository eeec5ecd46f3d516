"""Reads for door codes: resolving a scanned token, the public scan summary, counterfeit counts."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from nuanxin.doorcodes.models import CounterfeitScan, DoorCode
from nuanxin.doorcodes.tokens import TokenError, token_parse
from nuanxin.lib.env import envint

SCAN_SUMMARY_TTL = envint("DOORCODE_SCAN_CACHE_SECONDS", 60)


class InvalidDoorCode(Exception):
    def __init__(self, reason: str, door_code: DoorCode | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.door_code = door_code

    @property
    def http_status(self) -> int:
        """410 Gone for a code that was real (revoked, or its merchant closed), else 404."""
        return 410 if self.reason in ("revoked", "merchant_closed") else 404


def door_code_resolve(token: str) -> DoorCode:
    """The active code (with its merchant and district) for a scanned token.

    Raises InvalidDoorCode with reason malformed | bad_signature | unknown | revoked |
    merchant_closed. One indexed query for a genuine token; none for a forged one.
    """
    try:
        parsed = token_parse(token)
    except TokenError as exc:
        raise InvalidDoorCode(exc.reason) from None
    code = (
        DoorCode.objects.select_related("merchant", "merchant__district")
        .filter(code_id=parsed.code_id)
        .first()
    )
    if code is None or code.version != parsed.version:
        # A validly signed token we have no row for: a database restored from an old
        # backup, or a leaked key. Either way, not a code we stand behind.
        raise InvalidDoorCode("unknown", code)
    if code.revoked_at is not None:
        raise InvalidDoorCode("revoked", code)
    if code.merchant.status == "closed":
        raise InvalidDoorCode("merchant_closed", code)
    return code


_LIVE_SQL = (
    "SELECT d.merchant_id FROM doorcodes_doorcode d JOIN merchants_merchant m "
    "ON m.id = d.merchant_id WHERE d.code_id = %s AND d.version = %s "
    "AND d.revoked_at IS NULL AND m.status <> 'closed'"
)
_reader = threading.local()


def _database_file() -> str | None:
    from django.conf import settings

    name = str(settings.DATABASES["default"]["NAME"])
    return name if os.path.isfile(name) else None


def _sqlite_reader() -> sqlite3.Connection | None:
    """A long-lived, read-only connection per thread to an on-disk SQLite database.

    Django opens and closes its SQLite connection for every request (CONN_MAX_AGE=0 in
    settings), and the first statement on a new connection parses the whole schema, about
    7 ms with this project's ~150 tables. The scan page is the one hot public path, so it
    keeps its own connection; WAL mode makes every committed revocation visible to it at
    once. Not used for in-memory test databases or other engines (PostgreSQL keeps
    Django's persistent connections)."""
    from django.conf import settings
    from django.db import connection

    conn = getattr(_reader, "conn", None)
    if conn is not None:
        return conn
    if connection.vendor != "sqlite" or settings.TESTING:
        return None
    name = _database_file()
    if name is None:
        return None
    conn = sqlite3.connect(f"file:{name}?mode=ro", uri=True, timeout=5, isolation_level=None)
    _reader.conn = conn
    return conn


def door_code_is_live(token: str) -> int | None:
    """The hot path of the scan page: the merchant id when `token` is a genuine, current
    code of an open merchant, else None. One indexed lookup in plain SQL (no ORM query
    compilation or model instances); the slow path (door_code_resolve) explains refusals."""
    try:
        parsed = token_parse(token)
    except TokenError:
        return None
    params: list[str | int] = [parsed.code_id, parsed.version]
    reader = _sqlite_reader()
    if reader is not None:
        row = reader.execute(_LIVE_SQL.replace("%s", "?"), params).fetchone()
    else:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(_LIVE_SQL, params)
            row = cursor.fetchone()
    return int(row[0]) if row else None


def scan_page_cache_key(*, merchant_id: int, token: str, language: str) -> str:
    return f"{merchant_id}:{token}:{language}"


# Rendered scan pages, per process: a plain dict is cheaper than a cache round trip
# (no pickling) on the hottest path. Bounded; entries expire after SCAN_SUMMARY_TTL.
_PAGES: dict[str, tuple[float, str]] = {}
_PAGES_MAX = 10_000


def scan_page_get(key: str) -> str | None:
    hit = _PAGES.get(key)
    if hit is None or hit[0] < time.monotonic():
        return None
    return hit[1]


def scan_page_put(key: str, html: str) -> None:
    if len(_PAGES) >= _PAGES_MAX:
        _PAGES.clear()
    _PAGES[key] = (time.monotonic() + SCAN_SUMMARY_TTL, html)


def scan_pages_forget(*, merchant_id: int) -> None:
    prefix = f"{merchant_id}:"
    for key in [k for k in list(_PAGES) if k.startswith(prefix)]:
        _PAGES.pop(key, None)


def door_code_current(*, merchant_id: int) -> DoorCode | None:
    return DoorCode.objects.filter(merchant_id=merchant_id, revoked_at__isnull=True).first()


def door_codes_for_plates(
    *, district_code: str | None = None, merchant_id: int | None = None
) -> QuerySet[DoorCode]:
    qs = DoorCode.objects.select_related("merchant", "merchant__district").filter(
        revoked_at__isnull=True
    )
    if district_code:
        qs = qs.filter(merchant__district__code=district_code)
    if merchant_id:
        qs = qs.filter(merchant_id=merchant_id)
    return qs.order_by("merchant__district__code", "merchant_id")


@dataclass
class LicenceView:
    kind: str
    number: str
    valid_from: dt.date
    valid_until: dt.date | None
    expired: bool
    expiring_soon: bool


@dataclass
class ScanSummary:
    licences: list[LicenceView] = field(default_factory=list)
    credit_level: str = ""
    rating_average: float | None = None
    rating_count: int = 0
    rating_stars: list[int] = field(default_factory=list)  # counts for 5..1 stars
    complaints_closed: int = 0


def _scan_summary_key(merchant_id: int) -> str:
    return f"doorcodes:scan:v1:{merchant_id}"


def scan_summary_invalidate(*, merchant_id: int) -> None:
    """Drop this process's cached summary and rendered page (other web workers refresh
    within DOORCODE_SCAN_CACHE_SECONDS unless the cache is shared, e.g. Redis)."""
    cache.delete(_scan_summary_key(merchant_id))
    scan_pages_forget(merchant_id=merchant_id)


def scan_summary(*, merchant: Any) -> ScanSummary:
    """What the public page shows beside the name, cached briefly (the page is hot:
    every scan of every plate lands here). Licence expiry is computed on today's date."""
    key = _scan_summary_key(merchant.pk)
    cached = cache.get(key)
    if cached is not None:
        return cached
    today = timezone.localdate()
    summary = ScanSummary()
    for lic in merchant.licences.order_by("kind", "valid_from"):
        expired = lic.valid_until is not None and lic.valid_until < today
        summary.licences.append(
            LicenceView(
                kind=lic.get_kind_display(),
                number=lic.number,
                valid_from=lic.valid_from,
                valid_until=lic.valid_until,
                expired=expired,
                expiring_soon=(
                    not expired
                    and lic.valid_until is not None
                    and lic.valid_until <= today + dt.timedelta(days=30)
                ),
            )
        )
    from nuanxin.feedback.ports import credit_level_public
    from nuanxin.feedback.selectors import rating_summary

    summary.credit_level = credit_level_public(merchant=merchant)
    ratings = rating_summary(merchant_id=merchant.pk)
    summary.rating_average = ratings.average
    summary.rating_count = ratings.count
    summary.rating_stars = ratings.by_stars
    cache.set(key, summary, SCAN_SUMMARY_TTL)
    return summary


@dataclass
class CounterfeitCell:
    grid_cell: str
    district: str
    scans: int
    hits: int
    last_seen_at: dt.datetime
    lat: float | None
    lng: float | None


def counterfeit_scans_visible(user: Any) -> QuerySet[CounterfeitScan]:
    """City-wide roles see every row; an officer sees rows reported in their district."""
    from nuanxin.core.access import district_scope_id

    qs = CounterfeitScan.objects.select_related("district", "door_code__merchant")
    scope = district_scope_id(user)
    if scope is not None:
        qs = qs.filter(district_id=scope)
    return qs


def counterfeit_counts_by_cell(user: Any, *, days: int = 90) -> list[CounterfeitCell]:
    since = timezone.now() - dt.timedelta(days=days)
    rows = (
        counterfeit_scans_visible(user)
        .filter(last_seen_at__gte=since)
        .values("grid_cell", "district__name")
        .annotate(
            scans=Count("id"),
            hits=Sum("hits"),
            last=Max("last_seen_at"),
            lat=Max("lat"),
            lng=Max("lng"),
        )
        .order_by("-hits")
    )
    return [
        CounterfeitCell(
            grid_cell=r["grid_cell"] or "",
            district=r["district__name"] or "",
            scans=r["scans"],
            hits=r["hits"] or 0,
            last_seen_at=r["last"],
            lat=r["lat"],
            lng=r["lng"],
        )
        for r in rows
    ]


def counterfeit_totals(user: Any, *, days: int = 90) -> dict[str, int]:
    since = timezone.now() - dt.timedelta(days=days)
    qs = counterfeit_scans_visible(user).filter(last_seen_at__gte=since)
    agg = qs.aggregate(
        rows=Count("id"),
        hits=Sum("hits"),
        located=Count("id", filter=Q(grid_cell__gt="")),
    )
    return {k: int(v or 0) for k, v in agg.items()}
