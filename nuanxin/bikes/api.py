"""Bike registry API under /api/v1/bikes/: staff see every operator, operators only their own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema

from nuanxin.accounts.auth import operator_auth, staff_auth
from nuanxin.bikes.access import (
    access_bike,
    access_operator,
    access_own_worker,
    operators_visible,
    workers_visible,
)
from nuanxin.bikes.selectors import operator_fleet_stats
from nuanxin.bikes.services import maintenance_worker_report

router = Router(tags=["bikes"], auth=[staff_auth, operator_auth])


def _principal(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


class BikeOut(Schema):
    plate: str
    device_id: str
    operator: str
    operator_name: str
    vehicle_type: str
    propulsion_types: list[str]
    vehicle_state: str
    state_at: datetime | None
    lat: float | None
    lng: float | None
    accuracy_m: float | None
    position_at: datetime | None
    battery_percent: int | None
    registered_at: datetime


class OperatorOut(Schema):
    id: int
    code: str
    name: str
    status: str
    quota: int


class FleetStatsOut(Schema):
    operator: str
    name: str
    quota: int
    registered: int
    decommissioned: int  # registered, decommissioned for good: not counted in the quota
    quota_left: int
    by_state: dict[str, int]
    unregistered_devices: int
    unregistered_rejections: int
    workers_on_duty: int
    workers: int
    at: datetime


@router.get("/by-plate/{plate}", response=BikeOut, summary="按车牌查询车辆")
def bike_by_plate(request: HttpRequest, plate: str) -> dict[str, Any]:
    bike = access_bike(_principal(request), plate.strip().upper())
    return {
        "plate": bike.plate,
        "device_id": str(bike.device_id),
        "operator": bike.operator.code,
        "operator_name": bike.operator.name,
        "vehicle_type": bike.vehicle_type,
        "propulsion_types": list(bike.propulsion_types),
        "vehicle_state": bike.vehicle_state,
        "state_at": bike.state_at,
        "lat": bike.lat,
        "lng": bike.lng,
        "accuracy_m": bike.accuracy_m,
        "position_at": bike.position_at,
        "battery_percent": bike.battery_percent,
        "registered_at": bike.registered_at,
    }


@router.get("/operators", response=list[OperatorOut], summary="运营企业列表")
def operators(request: HttpRequest) -> list[Any]:
    return operators_visible(_principal(request))


@router.get("/operators/{operator_id}/stats", response=FleetStatsOut, summary="企业车队统计")
def fleet_stats(request: HttpRequest, operator_id: int) -> dict[str, Any]:
    operator = access_operator(_principal(request), operator_id)
    return {**operator_fleet_stats(operator=operator), "at": timezone.now()}


class WorkerOut(Schema):
    id: int
    name: str
    operator: str
    phone: str
    on_duty: bool
    last_lat: float | None
    last_lng: float | None
    last_seen_at: datetime | None


class WorkerReportIn(Schema):
    on_duty: bool
    lat: float | None = None
    lng: float | None = None


def _worker_out(w: Any) -> dict[str, Any]:
    return {
        "id": w.pk,
        "name": w.name,
        "operator": w.operator.code,
        "phone": w.phone,
        "on_duty": w.on_duty,
        "last_lat": w.last_lat,
        "last_lng": w.last_lng,
        "last_seen_at": w.last_seen_at,
    }


@router.get("/workers", response=list[WorkerOut], summary="运维人员列表")
def workers(request: HttpRequest) -> list[dict[str, Any]]:
    return [_worker_out(w) for w in workers_visible(_principal(request))]


@router.post("/workers/me", response=WorkerOut, summary="运维人员上报在岗状态与位置")
def worker_report(request: HttpRequest, payload: WorkerReportIn) -> dict[str, Any]:
    worker = access_own_worker(_principal(request))
    worker = maintenance_worker_report(
        worker=worker, on_duty=payload.on_duty, lat=payload.lat, lng=payload.lng
    )
    return _worker_out(worker)
