"""/api/v1/compliance/: every decision with its explanation (operators: own bikes only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from nuanxin.accounts.auth import operator_auth, staff_auth
from nuanxin.bikes.models import Operator
from nuanxin.compliance.access import access_parking_check, overflow_alerts_visible
from nuanxin.compliance.models import ParkingCheck
from nuanxin.compliance.selectors import access_decision_by_source, decisions_list

router = Router(tags=["compliance"], auth=[operator_auth, staff_auth])


class ExplanationOut(Schema):
    verdict: str
    rule: str
    rule_label: str
    nearest_spot: str | None
    spot_version: int | None
    spot_version_id: int | None
    distance_m: float | None
    accuracy_m: float | None
    accuracy_used_m: float
    tolerance_m: float
    beacon_ids: list[str]
    beacon_confirmed: bool
    text: str


class CheckOut(Schema):
    id: int | None  # None: an in-spot decision kept on its event (see `stored`)
    stored: bool  # a decision record of its own (outside, uncertain, or not from an event)
    plate: str
    device_id: str
    observed_at: datetime
    lat: float
    lng: float
    source: str
    source_id: str
    explanation: ExplanationOut


class OverflowOut(Schema):
    id: int
    spot: str
    capacity: int
    count: int
    peak: int
    shares: dict[str, int]
    opened_at: datetime
    closed_at: datetime | None


def _out(c: ParkingCheck) -> dict[str, Any]:
    return {
        "id": c.pk,
        "stored": c.pk is not None,
        "plate": c.bike.plate,
        "device_id": str(c.bike.device_id),
        "observed_at": c.observed_at,
        "lat": c.lat,
        "lng": c.lng,
        "source": c.source,
        "source_id": c.source_id,
        "explanation": c.explanation(),
    }


@router.get("/checks", response=list[CheckOut], summary="停放判定及解释")
def checks_list(
    request: HttpRequest,
    plate: str | None = None,
    verdict: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Every decision, newest first: the stored ones and the in-spot decisions kept on
    their events (`id` null, `stored` false)."""
    checks = decisions_list(
        request.auth,  # type: ignore[attr-defined]
        plate=plate,
        verdict=verdict,
        since=since,
        limit=limit,
    )
    return [_out(c) for c in checks]


@router.get(
    "/decisions/{source}/{source_id}",
    response=CheckOut,
    summary="一次观测（事件/轨迹点）的停放判定",
)
def decision_by_source(request: HttpRequest, source: str, source_id: str) -> dict[str, Any]:
    """The decision about one MDS event (`event`, its event_id) or telemetry point
    (`telemetry`, its telemetry_id), stored or kept on the event."""
    return _out(access_decision_by_source(request.auth, source, source_id))  # type: ignore[attr-defined]


@router.get("/checks/{check_id}", response=CheckOut, summary="一次停放判定的解释")
def checks_get(request: HttpRequest, check_id: int) -> dict[str, Any]:
    return _out(access_parking_check(request.auth, check_id))  # type: ignore[attr-defined]


@router.get("/overflows", response=list[OverflowOut], summary="停放点超容告警")
def overflows_list(request: HttpRequest, open_only: bool = True) -> list[dict[str, Any]]:
    qs, scope = overflow_alerts_visible(request.auth)  # type: ignore[attr-defined]
    if open_only:
        qs = qs.filter(closed_at__isnull=True)
    own_codes = (
        None
        if scope is None
        else set(Operator.objects.filter(pk__in=scope).values_list("code", flat=True))
    )
    out = []
    for a in qs.order_by("-opened_at")[:500]:
        shares = dict(a.shares)
        if own_codes is not None:
            if not own_codes & set(shares):
                continue
            mine = {k: v for k, v in shares.items() if k in own_codes}
            others = sum(v for k, v in shares.items() if k not in own_codes)
            shares = mine | ({"others": others} if others else {})
        out.append(
            {
                "id": a.pk,
                "spot": a.spot.code,
                "capacity": a.capacity,
                "count": a.count,
                "peak": a.peak,
                "shares": shares,
                "opened_at": a.opened_at,
                "closed_at": a.closed_at,
            }
        )
    return out
