"""Reads for notices (API, portal, webhooks, credit scoring)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

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
