"""Dispatch: the operator's nearest free maintenance worker, a route estimate, a 高德 link.

The route is an estimate, not a road route: Manhattan distance in the local metric
projection (a city grid is closer to L1 than to a straight line), at a walking pace of
1.2 m/s (`NOTICE_WALK_SPEED_MPS`). The 高德地图 deep link hands real routing to the phone.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from nuanxin.bikes.models import MaintenanceWorker, Spot
from nuanxin.compliance.index import index_for
from nuanxin.compliance.services import spot_occupancy
from nuanxin.lib.coords import LocalProjection, amap_walk_link
from nuanxin.lib.env import envstr


def walk_speed_mps() -> float:
    return float(envstr("NOTICE_WALK_SPEED_MPS", "1.2"))


@dataclass(frozen=True)
class Dispatch:
    worker: MaintenanceWorker | None
    route_distance_m: float | None
    eta_seconds: int | None
    nav_url: str
    target_spot: Spot | None
    target_distance_m: float | None
    target_nav_url: str


def manhattan_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    proj = LocalProjection(lat1, lng1)
    x, y = proj.to_xy(lat2, lng2)
    return float(abs(x) + abs(y))


def free_workers(operator_id: int):  # type: ignore[no-untyped-def]
    """On-duty workers of the operator with a known position and no open notice."""
    from nuanxin.notices.models import Notice

    busy = Notice.objects.filter(worker=OuterRef("pk"), status=Notice.Status.OPEN)
    return MaintenanceWorker.objects.filter(
        operator_id=operator_id, on_duty=True, last_lat__isnull=False, last_lng__isnull=False
    ).exclude(Exists(busy))


def occupancy_now() -> dict[int, int]:
    return {sid: sum(v.values()) for sid, v in spot_occupancy().items()}


def dispatch_plan(  # type: ignore[no-untyped-def]
    *,
    operator_id: int,
    lat: float,
    lng: float,
    label: str,
    at,
    occupancy: dict[int, int] | None = None,
) -> Dispatch:
    """`occupancy` (bikes per spot) may be passed in by a caller planning many notices at once:
    counting it is an aggregate over the whole fleet, the dominant cost of a plan."""
    best: tuple[float, MaintenanceWorker] | None = None
    for worker in free_workers(operator_id):
        d = manhattan_m(worker.last_lat or 0.0, worker.last_lng or 0.0, lat, lng)
        if best is None or d < best[0]:
            best = (d, worker)
    entry, _stamp = index_for(at)
    if occupancy is None:
        occupancy = occupancy_now()
    room = entry.index.nearest_with_room(lat, lng, occupancy)
    target = target_d = None
    target_url = ""
    if room is not None:
        snap = entry.index.spots[room[0]]
        target = Spot.objects.filter(pk=snap.spot_id).first()
        target_d = room[1]
        target_url = amap_walk_link(lat=snap.center_lat, lng=snap.center_lng, name=snap.name)
    return Dispatch(
        worker=best[1] if best else None,
        route_distance_m=best[0] if best else None,
        eta_seconds=round(best[0] / walk_speed_mps()) if best else None,
        nav_url=amap_walk_link(lat=lat, lng=lng, name=label),
        target_spot=target,
        target_distance_m=target_d,
        target_nav_url=target_url,
    )
