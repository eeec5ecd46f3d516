"""Dispatch: the operator's nearest free maintenance worker, a route estimate, a 高德 link.

The route is an estimate, not a road route: Manhattan distance in the local metric
projection (a city grid is closer to L1 than to a straight line), at a walking pace of
1.2 m/s (`NOTICE_WALK_SPEED_MPS`). The 高德地图 deep link hands real routing to the phone.

Notices open in batches (one per ingest request), so planning works on a `DispatchPool`
loaded once per batch: the free workers of the operators concerned, taken out of the pool
as they are assigned, and the spots' occupancy counted only around each bike, for all the
batch's notices in one query (`DispatchPool.plan_many`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

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


class PlanRequest(NamedTuple):
    """One notice to plan: where the bike is and the name its navigation link shows."""

    operator_id: int
    lat: float
    lng: float
    label: str


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
    def load(
        cls, *, operator_ids: Iterable[int], at: datetime, stamp: int | None = None
    ) -> DispatchPool:
        """`stamp`: the spots stamp the caller's decisions were judged with, when known (saves
        the query that reads it, and plans against the same spots as the decisions)."""
        entry, _stamp = index_for(at, stamp=stamp)
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

    def _nearest_with_room(
        self, points: list[tuple[float, float]]
    ) -> list[tuple[int, float] | None]:
        """For each point, the nearest spot (index, metres) whose occupancy is under its
        capacity. Occupancy is counted in rounds of the next ROOM_CANDIDATES spots of every
        point still unanswered, all points in one query per round: the rounds depend on how
        many full spots surround a point, not on how many points there are."""
        index = self.entry.index
        lats, lngs = [p[0] for p in points], [p[1] for p in points]
        nears = index.nearest_spots_many(
            lats, lngs, limit_m=ROOM_SEARCH_M, at_least=ROOM_CANDIDATES
        )
        found: list[tuple[int, float] | None] = [None] * len(points)
        occupancy: dict[int, int] = {}
        pending = [k for k, near in enumerate(nears) if len(near.spots)]
        lo = 0
        while pending:
            short = [
                k
                for k in pending
                if not nears[k].complete and len(nears[k].spots) < lo + ROOM_CANDIDATES
            ]
            if short:  # the next window reaches past the nearest spots found so far
                more = index.nearest_spots_many(
                    [lats[k] for k in short],
                    [lngs[k] for k in short],
                    limit_m=ROOM_SEARCH_M,
                    at_least=lo + ROOM_CANDIDATES,
                )
                for k, near in zip(short, more, strict=True):
                    nears[k] = near
            window = {
                k: list(
                    zip(
                        nears[k].spots[lo : lo + ROOM_CANDIDATES].tolist(),
                        nears[k].distances[lo : lo + ROOM_CANDIDATES].tolist(),
                        strict=True,
                    )
                )
                for k in pending
            }
            wanted = {index.spots[i].spot_id for chunk in window.values() for i, _d in chunk}
            wanted -= occupancy.keys()
            if wanted:
                occupancy.update(dict.fromkeys(wanted, 0) | occupancy_now(wanted))
            still = []
            for k, chunk in window.items():
                for i, d in chunk:
                    if occupancy[index.spots[i].spot_id] < index.spots[i].capacity:
                        found[k] = (i, d)
                        break
                else:
                    near = nears[k]
                    if lo + ROOM_CANDIDATES < len(near.spots) or not near.complete:
                        still.append(k)
            pending, lo = still, lo + ROOM_CANDIDATES
        return found

    def plan(self, *, operator_id: int, lat: float, lng: float, label: str) -> Dispatch:
        return self.plan_many([PlanRequest(operator_id, lat, lng, label)])[0]

    def plan_many(self, requests: list[PlanRequest]) -> list[Dispatch]:
        """Plan a batch's notices in order: each takes the nearest worker left in the pool.
        "Room" is the spots' occupancy now; bikes sent to the same spot by earlier notices
        of the batch are not counted (they are not parked there yet)."""
        rooms = self._nearest_with_room([(r.lat, r.lng) for r in requests])
        index = self.entry.index
        spots = Spot.objects.in_bulk(
            sorted({index.spots[room[0]].spot_id for room in rooms if room is not None})
        )
        plans = []
        for r, room in zip(requests, rooms, strict=True):
            best = self._take_nearest_worker(r.operator_id, r.lat, r.lng)
            target = target_d = None
            target_url = ""
            if room is not None:
                snap = index.spots[room[0]]
                target = spots.get(snap.spot_id)
                target_d = room[1]
                target_url = amap_walk_link(
                    lat=snap.center_lat, lng=snap.center_lng, name=snap.name
                )
            plans.append(
                Dispatch(
                    worker=best[1] if best else None,
                    route_distance_m=best[0] if best else None,
                    eta_seconds=round(best[0] / walk_speed_mps()) if best else None,
                    nav_url=amap_walk_link(lat=r.lat, lng=r.lng, name=r.label),
                    target_spot=target,
                    target_distance_m=target_d,
                    target_nav_url=target_url,
                )
            )
        return plans
