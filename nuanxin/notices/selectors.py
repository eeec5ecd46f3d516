"""Reads for notices (API, portal, webhooks, credit scoring)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from nuanxin.notices.models import Notice


def notices_for_operator(
    *, operator_id: int, status: str | None = None, kind: str | None = None
) -> QuerySet[Notice]:
    qs = Notice.objects.filter(operator_id=operator_id).select_related(
        "bike", "worker", "target_spot", "check_ref", "check_ref__spot", "check_ref__spot_version"
    )
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-issued_at", "-pk")


def notice_as_dict(n: Notice) -> dict[str, Any]:
    penalty = getattr(n, "penalty", None) if n.status == Notice.Status.PENALISED else None
    return {
        "number": n.number,
        "kind": n.kind,
        "status": n.status,
        "plate": n.bike.plate,
        "device_id": str(n.bike.device_id),
        "lat": n.lat,
        "lng": n.lng,
        "observed_at": n.observed_at,
        "issued_at": n.issued_at,
        "deadline": n.deadline,
        "associated_ticket": n.number,
        "explanation": n.check_ref.explanation(),
        "dispatch": {
            "worker": n.worker.name if n.worker else None,
            "route_distance_m": None if n.route_distance_m is None else round(n.route_distance_m),
            "eta_seconds": n.eta_seconds,
            "route_method": "manhattan_estimate",
            "nav_url": n.nav_url,
            "target_spot": n.target_spot.code if n.target_spot else None,
            "target_distance_m": None
            if n.target_distance_m is None
            else round(n.target_distance_m),
            "target_nav_url": n.target_nav_url,
        },
        "fixed_at": n.fixed_at,
        "fix_reason": n.fix_reason,
        "fix_reason_label": n.fix_reason_label(),
        "penalty": None
        if penalty is None
        else {
            "number": penalty.number,
            "status": penalty.status,
            "amount": str(penalty.amount) if penalty.amount is not None else None,
            "document_number": penalty.document_number,
        },
    }


def notices_in_period(*, operator_id: int, start: datetime, end: datetime) -> QuerySet[Notice]:
    return Notice.objects.filter(operator_id=operator_id, issued_at__gte=start, issued_at__lt=end)


def notices_filter(
    qs: QuerySet[Notice],
    *,
    status: str = "",
    operator_code: str = "",
    query: str = "",
    overdue: bool = False,
    now: datetime | None = None,
) -> QuerySet[Notice]:
    """The staff list's filters on notices already scoped to the viewer, newest first.

    `query`: a notice number or a plate, whole or its beginning. `overdue`: still open
    after its deadline."""
    qs = qs.select_related(None).select_related("bike", "operator", "worker")
    if status:
        qs = qs.filter(status=status)
    if operator_code:
        qs = qs.filter(operator__code=operator_code)
    query = query.strip().upper()  # numbers are NX…, plates 亳A…: both upper case
    if query:
        qs = qs.filter(Q(number__startswith=query) | Q(bike__plate__startswith=query))
    if overdue:
        qs = qs.filter(status=Notice.Status.OPEN, deadline__lt=now or timezone.now())
    return qs.order_by("-issued_at", "-pk")


def notice_status_counts(qs: QuerySet[Notice]) -> dict[str, int]:
    """How many of `qs` are in each status (every status, zeros included), in one query."""
    return qs.order_by().aggregate(
        **{value: Count("pk", filter=Q(status=value)) for value in Notice.Status.values}
    )


def open_first_mine(qs: QuerySet[Notice], worker: Any) -> QuerySet[Notice]:
    """Open notices by deadline; a maintenance worker's own assignments first."""
    if worker is None:
        return qs.order_by("deadline")
    mine = Case(When(worker=worker, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.annotate(not_mine=mine).order_by("not_mine", "deadline")
