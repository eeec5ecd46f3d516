"""/api/v1/operator/: an operator's warm reminders (its token sees only its own)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema

from nuanxin.accounts.auth import operator_auth, staff_auth
from nuanxin.compliance.api import ExplanationOut
from nuanxin.notices.access import access_notice, notices_visible
from nuanxin.notices.selectors import notice_as_dict

router = Router(tags=["notices"], auth=[operator_auth, staff_auth])

# The filters' values, so that an unknown one is refused (422) rather than matching nothing.
StatusFilter = Literal["open", "fixed", "penalised", "closed"]
KindFilter = Literal["violation", "confirm"]


class DispatchOut(Schema):
    worker: str | None
    route_distance_m: float | None
    eta_seconds: int | None
    route_method: str
    nav_url: str
    target_spot: str | None
    target_distance_m: float | None
    target_nav_url: str


class PenaltyOut(Schema):
    number: str
    status: str
    amount: str | None
    document_number: str


class NoticeOut(Schema):
    number: str
    kind: str
    status: str
    plate: str
    device_id: str
    lat: float
    lng: float
    observed_at: datetime
    issued_at: datetime
    deadline: datetime
    associated_ticket: str
    explanation: ExplanationOut
    dispatch: DispatchOut
    fixed_at: datetime | None
    fix_reason: str
    fix_reason_label: str
    penalty: PenaltyOut | None


@router.get("/notices", response=list[NoticeOut], summary="暖心提醒列表")
def notices_list(
    request: HttpRequest,
    status: StatusFilter | None = None,
    kind: KindFilter | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    qs = notices_visible(request.auth).select_related("penalty")  # type: ignore[attr-defined]
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if since:
        qs = qs.filter(issued_at__gte=since)
    return [notice_as_dict(n) for n in qs.order_by("-issued_at", "-pk")[: max(1, min(limit, 1000))]]


@router.get("/notices/{number}", response=NoticeOut, summary="一条暖心提醒")
def notices_get(request: HttpRequest, number: str) -> dict[str, Any]:
    return notice_as_dict(access_notice(request.auth, number))  # type: ignore[attr-defined]
