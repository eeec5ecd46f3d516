"""A small city for insight/dashboard tests: spots in both persona districts and bikes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.utils import timezone


def make_spot(code: str, lat: float, lng: float, capacity: int, district: Any = None) -> Any:
    from nuanxin.bikes.models import Spot, SpotVersion

    d = 0.0002
    spot = Spot.objects.create(code=code, district=district)
    ring = [
        [lng - d, lat - d],
        [lng + d, lat - d],
        [lng + d, lat + d],
        [lng - d, lat + d],
        [lng - d, lat - d],
    ]
    SpotVersion.objects.create(
        spot=spot,
        version=1,
        name=f"停放点{code}",
        polygon={"type": "Polygon", "coordinates": [ring]},
        capacity=capacity,
        category="road",
        center_lat=lat,
        center_lng=lng,
        min_lng=lng - d,
        min_lat=lat - d,
        max_lng=lng + d,
        max_lat=lat + d,
        effective_from=timezone.now() - dt.timedelta(days=30),
    )
    return spot


def make_bike(operator: Any, lat: float, lng: float, state: str = "available") -> Any:
    from nuanxin.bikes.models import Bike

    n = Bike.objects.count() + 1
    return Bike.objects.create(
        operator=operator,
        plate=f"T{operator.pk}{n:06d}",
        device_id=uuid.uuid4(),
        vehicle_state=state,
        lat=lat,
        lng=lng,
        position_at=timezone.now(),
    )


# District A (QC-N) spans lat 33.85–33.90; B (QC-S) 33.80–33.85; lng 115.70–115.78.
SPOT_A = (33.87, 115.75)
SPOT_A2 = (33.88, 115.72)
SPOT_B = (33.82, 115.75)


def small_city(p: Any) -> dict[str, Any]:
    spots = {
        "a": make_spot("A1", *SPOT_A, capacity=5, district=p.district_a),
        "a2": make_spot("A2", *SPOT_A2, capacity=10, district=p.district_a),
        "b": make_spot("B1", *SPOT_B, capacity=10, district=p.district_b),
    }
    bikes = []
    for _ in range(8):  # 8 bikes in a 5-bike spot: oversupply
        bikes.append(make_bike(p.operator, *SPOT_A))
    for _ in range(3):
        bikes.append(make_bike(p.other_operator, *SPOT_B))
    bikes.append(make_bike(p.operator, *SPOT_B, state="on_trip"))  # riding: not parked
    return {"spots": spots, "bikes": bikes}


def make_notice(
    operator: Any, bike: Any, *, number: str, lat: float, lng: float, **fields: Any
) -> Any:
    """A parking notice as the notices app stores it (with the compliance check behind it)."""
    from nuanxin.compliance.models import ParkingCheck
    from nuanxin.notices.models import Notice

    now = timezone.now()
    check = ParkingCheck.objects.create(
        bike=bike,
        operator=operator,
        observed_at=now,
        lat=lat,
        lng=lng,
        accuracy_used_m=5,
        tolerance_m=1,
        source="event",
        source_id=number,
        verdict="outside",
        rule="beyond_error",
    )
    defaults = {
        "kind": "violation",
        "status": "open",
        "observed_at": now,
        "issued_at": now,
        "deadline": now + dt.timedelta(minutes=15),
        "due_at": now + dt.timedelta(minutes=15),
    }
    return Notice.objects.create(
        number=number,
        operator=operator,
        bike=bike,
        check_ref=check,
        lat=lat,
        lng=lng,
        **{**defaults, **fields},
    )


def make_trip(operator: Any, bike: Any, *, start: Any, end: Any, at: Any, minutes: int = 12) -> Any:
    from nuanxin.mds.models import Trip

    return Trip.objects.create(
        trip_id=uuid.uuid4(),
        operator=operator,
        bike=bike,
        start_time=at,
        end_time=at + dt.timedelta(minutes=minutes),
        start_lat=start[0],
        start_lng=start[1],
        end_lat=end[0],
        end_lng=end[1],
    )
