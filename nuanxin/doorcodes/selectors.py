"""Reads for door codes: resolving a scanned token, the public scan summary, counterfeit counts."""

from __future__ import annotations

import datetime as dt
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
    cache.delete(_scan_summary_key(merchant_id))


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
