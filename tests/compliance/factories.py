"""Builders shared by the compliance, notices and opcredit tests (real rows, no mocks)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import uuid
from typing import Any

from django.utils import timezone

LAT0, LNG0 = 33.8500, 115.7800
M_PER_DEG_LAT = 111_195.0
_seq = itertools.count(1)


def offset(
    lat: float, lng: float, east_m: float = 0.0, north_m: float = 0.0
) -> tuple[float, float]:
    """Move a point by metres (same local projection the engine uses, up to ~1e-6)."""
    from nuanxin.lib.coords import LocalProjection

    proj = LocalProjection(lat, lng)
    la, ln = proj.to_latlng(east_m, north_m)
    return float(la), float(ln)


def box(lat: float, lng: float, w_m: float, h_m: float) -> dict:
    """A w×h metre rectangle centred on (lat, lng), as a GeoJSON Polygon."""
    s, w = offset(lat, lng, -w_m / 2, -h_m / 2)
    n, e = offset(lat, lng, w_m / 2, h_m / 2)
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def make_spot(
    code: str,
    lat: float = LAT0,
    lng: float = LNG0,
    *,
    w_m: float = 10.0,
    h_m: float = 4.0,
    capacity: int = 10,
    beacons: tuple[str, ...] = (),
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    version: int = 1,
    spot: Any = None,
) -> Any:
    from nuanxin.bikes.models import Spot, SpotVersion

    spot = spot or Spot.objects.create(code=code)
    poly = box(lat, lng, w_m, h_m)
    ring = poly["coordinates"][0]
    return SpotVersion.objects.create(
        spot=spot,
        version=version,
        name=f"停放点{code}",
        polygon=poly,
        capacity=capacity,
        category="road",
        beacon_ids=list(beacons),
        center_lat=lat,
        center_lng=lng,
        min_lng=min(p[0] for p in ring),
        min_lat=min(p[1] for p in ring),
        max_lng=max(p[0] for p in ring),
        max_lat=max(p[1] for p in ring),
        effective_from=since or timezone.now() - dt.timedelta(days=30),
        effective_to=until,
    )


def make_bike(operator: Any, n: int | None = None) -> Any:
    from nuanxin.bikes.models import Bike

    n = n or next(_seq)
    letter = operator.plate_letter or operator.code[0].upper()
    return Bike.objects.create(
        operator=operator, plate=f"亳{letter}{n:07d}", device_id=uuid.uuid4()
    )


def make_worker(operator: Any, username: str, lat: float, lng: float, on_duty: bool = True) -> Any:
    from nuanxin.accounts.models import User
    from nuanxin.bikes.models import MaintenanceWorker

    user = User.objects.create(username=username, role="maintenance", display_name=username)
    user.set_password("persona-pass-123")
    user.save()
    return MaintenanceWorker.objects.create(
        user=user, operator=operator, name=username, on_duty=on_duty, last_lat=lat, last_lng=lng
    )


def parked(
    bike: Any,
    lat: float,
    lng: float,
    *,
    at: dt.datetime | None = None,
    accuracy: float | None = 0.0,
    beacons: tuple[str, ...] = (),
    source_id: str | None = None,
) -> Any:
    from nuanxin.compliance.hooks import ParkedObservation

    return ParkedObservation(
        bike_id=bike.pk,
        operator_id=bike.operator_id,
        at=at or timezone.now(),
        lat=lat,
        lng=lng,
        accuracy_m=accuracy,
        source="event",
        source_id=source_id or str(uuid.uuid4()),
        beacon_ids=beacons,
    )


def moved(bike: Any, at: dt.datetime, reason: str = "compliance_pick_up") -> Any:
    from nuanxin.compliance.hooks import MovedObservation

    return MovedObservation(
        bike_id=bike.pk,
        operator_id=bike.operator_id,
        at=at,
        reason=reason,
        source_id=str(uuid.uuid4()),
    )


def east_of_spot_edge(dist_m: float, w_m: float = 10.0) -> tuple[float, float]:
    """A point `dist_m` metres east of the east edge of the default spot at (LAT0, LNG0)."""
    return offset(LAT0, LNG0, w_m / 2 + dist_m, 0.0)


def approx_m(a: float, b: float) -> bool:
    return math.isclose(a, b, abs_tol=0.01)
