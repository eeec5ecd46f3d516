"""Reads for ratings and complaints."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from nuanxin.core.access import filter_by_district
from nuanxin.feedback.models import Complaint, ComplaintStatus, Rating

RATING_WINDOW_DAYS = 365


@dataclass
class RatingSummary:
    average: float | None = None
    count: int = 0
    by_stars: list[int] = field(default_factory=lambda: [0, 0, 0, 0, 0])  # 5★ … 1★


def rating_summary(*, merchant_id: int) -> RatingSummary:
    """Visible ratings of the last year, in one query."""
    since = timezone.localdate() - dt.timedelta(days=RATING_WINDOW_DAYS)
    agg = Rating.objects.filter(merchant_id=merchant_id, hidden=False, day__gte=since).aggregate(
        avg=Avg("stars"),
        n=Count("id"),
        **{f"s{s}": Count("id", filter=Q(stars=s)) for s in range(1, 6)},
    )
    return RatingSummary(
        average=round(float(agg["avg"]), 1) if agg["avg"] is not None else None,
        count=agg["n"],
        by_stars=[agg[f"s{s}"] for s in range(5, 0, -1)],
    )


def ratings_for_merchant(*, merchant_id: int, limit: int = 50) -> QuerySet[Rating]:
    return Rating.objects.filter(merchant_id=merchant_id).order_by("-created_at")[:limit]


def complaints_visible(user: Any) -> QuerySet[Complaint]:
    """Complaints a staff user may see: the whole city, or their own district."""
    qs = Complaint.objects.select_related("merchant", "district", "handler")
    return filter_by_district(user, qs)


def complaint_list(
    user: Any,
    *,
    status: str = "",
    overdue: bool = False,
    district_id: int | None = None,
    query: str = "",
) -> QuerySet[Complaint]:
    qs = complaints_visible(user)
    if status == "open":
        qs = qs.exclude(status=ComplaintStatus.CLOSED)
    elif status:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(overdue=True).exclude(status=ComplaintStatus.CLOSED)
    if district_id:
        qs = qs.filter(district_id=district_id)
    if query:
        qs = qs.filter(
            Q(tracking_no__icontains=query)
            | Q(merchant__name__icontains=query)
            | Q(description__icontains=query)
        )
    return qs.order_by("-overdue", "stage_deadline", "-created_at")


def complaints_overdue(user: Any) -> QuerySet[Complaint]:
    return (
        complaints_visible(user)
        .filter(overdue=True)
        .exclude(status=ComplaintStatus.CLOSED)
        .order_by("stage_deadline")
    )


def complaint_counts_by_district(user: Any) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in complaints_visible(user)
        .exclude(status=ComplaintStatus.CLOSED)
        .values("district__code", "district__name")
        .annotate(
            open=Count("id"),
            overdue=Count("id", filter=Q(overdue=True)),
        )
        .order_by("district__code")
    ]


def complaint_by_tracking(tracking_no: str) -> Complaint | None:
    return (
        Complaint.objects.select_related("merchant", "district")
        .filter(tracking_no=tracking_no.strip().upper())
        .first()
    )


def complaints_for_merchant_user(user: Any) -> QuerySet[Complaint]:
    """A merchant's portal: complaints about their shops once they have been notified."""
    return (
        Complaint.objects.select_related("merchant")
        .filter(merchant__owners=user)
        .exclude(status__in=[ComplaintStatus.RECEIVED, ComplaintStatus.ASSIGNED])
        .order_by("-updated_at")
    )
