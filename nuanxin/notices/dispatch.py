"""Dispatch: the operator's nearest free maintenance worker, a route estimate, a 高德 link.

The route is an estimate, not a road route: Manhattan distance in the local metric
projection (a city grid is closer to L1 than to a straight line), at a walking pace of
1.2 m/s (`NOTICE_WALK_SPEED_MPS`). The 高德地图 deep link hands real routing to the phone.

Notices open in batches (one per ingest request), so planning works on a `DispatchPool`
loaded once per batch: the free workers of the operators concerned, taken out of the pool
as they are assigned, and the spots' occupancy counted only around each bike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef

from nuanxin.bikes.models import Bike, MaintenanceWorker, Operator, Spot
from nuanxin.compliance.index import CachedIndex, index_for
from nuanxin.compliance.services import spot_occupancy
from nuanxin.lib.coords import LocalProjection, amap_walk_link
from nuanxin.lib.env import envstr

ROOM_SEARCH_M = 2000.0
ROOM_CANDIDATES = 24  # nearest spots whose occupancy is counted for "nearest with room"


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


def free_workers(operator_ids: Iterable[int]):  # type: ignore[no-untyped-def]
    """On-duty workers of the operators with a known position and no open notice."""
    from nuanxin.notices.models import Notice

    busy = Notice.objects.filter(worker=OuterRef("pk"), status=Notice.Status.OPEN)
    return MaintenanceWorker.objects.filter(
        operator_id__in=list(operator_ids),
        on_duty=True,
        last_lat__isnull=False,
        last_lng__isnull=False,
    ).exclude(Exists(busy))


def occupancy_now(spot_ids: set[int] | None = None) -> dict[int, int]:
    """Bikes parked in each spot (all spots, or only `spot_ids`)."""
    return {sid: sum(v.values()) for sid, v in spot_occupancy(spot_ids=spot_ids).items()}


@dataclass
class DispatchPool:
    at: datetime
    entry: CachedIndex
    workers: dict[int, list[MaintenanceWorker]] = field(default_factory=dict)
    bikes: dict[int, Bike] = field(default_factory=dict)
    operators: dict[int, Operator] = field(default_factory=dict)

    @classmethod
    def load(cls, *, operator_ids: Iterable[int], at: datetime) -> DispatchPool:
        entry, _stamp = index_for(at)
        pool = cls(at=at, entry=entry)
        for worker in free_workers(operator_ids):
            pool.workers.setdefault(worker.operator_id, []).append(worker)
        pool.operators = Operator.objects.in_bulk(list(operator_ids))
        return pool

    def bikes_preload(self, bike_ids: set[int]) -> None:
        """The bikes the batch's notices will name (plate, device_id), in one query."""
        missing = [b for b in bike_ids if b not in self.bikes]
        if missing:
            self.bikes.update(Bike.objects.in_bulk(missing))

    def bike(self, bike_id: int) -> Bike:
        if bike_id not in self.bikes:
            self.bikes_preload({bike_id})
        return self.bikes[bike_id]

    def operator(self, operator_id: int) -> Operator:
        if operator_id not in self.operators:
            self.operators[operator_id] = Operator.objects.get(pk=operator_id)
        return self.operators[operator_id]

    def _take_nearest_worker(
        self, operator_id: int, lat: float, lng: float
    ) -> tuple[float, MaintenanceWorker] | None:
        candidates = self.workers.get(operator_id) or []
        best: tuple[float, MaintenanceWorker] | None = None
        for worker in candidates:
            d = manhattan_m(worker.last_lat or 0.0, worker.last_lng or 0.0, lat, lng)
            if best is None or d < best[0]:
                best = (d, worker)
        if best is not None:
            candidates.remove(best[1])  # one open notice per worker at a time
        return best

    def _nearest_with_room(self, lat: float, lng: float) -> tuple[int, float] | None:
        index = self.entry.index
        near = index.nearest_spots(lat, lng, limit_m=ROOM_SEARCH_M)
        for lo in range(0, len(near), ROOM_CANDIDATES):
            chunk = near[lo : lo + ROOM_CANDIDATES]
            occupancy = occupancy_now({index.spots[i].spot_id for i, _d in chunk})
            for i, d in chunk:
                if occupancy.get(index.spots[i].spot_id, 0) < index.spots[i].capacity:
                    return i, d
        return None

    def plan(self, *, operator_id: int, lat: float, lng: float, label: str) -> Dispatch:
        best = self._take_nearest_worker(operator_id, lat, lng)
        room = self._nearest_with_room(lat, lng)
        target = target_d = None
        target_url = ""
        if room is not None:
            snap = self.entry.index.spots[room[0]]
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
