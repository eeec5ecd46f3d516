"""Demo: judge the demo fleet's parked bikes once (decisions, occupancy, overflow alerts).

Notices are left to nuanxin.notices.demo, which opens a controlled, deterministic set.
"""

from __future__ import annotations

from nuanxin.bikes.models import Bike
from nuanxin.compliance.hooks import ParkedObservation
from nuanxin.compliance.models import ParkingCheck
from nuanxin.compliance.services import parked_bikes_evaluate
from nuanxin.core.demo import DemoContext


def seed(ctx: DemoContext) -> None:
    """Idempotent: running it twice adds nothing (checks are keyed on their source id)."""
    if ParkingCheck.objects.filter(source="demo").exists():
        return
    bikes = list(
        Bike.objects.filter(lat__isnull=False, position_at__isnull=False)
        .order_by("pk")
        .values_list("pk", "operator_id", "lat", "lng", "accuracy_m", "position_at")[
            : ctx.scaled(5000, minimum=50)
        ]
    )
    observations = [
        ParkedObservation(
            bike_id=pk,
            operator_id=op,
            at=at,  # type: ignore[arg-type]
            lat=lat,  # type: ignore[arg-type]
            lng=lng,  # type: ignore[arg-type]
            accuracy_m=acc,
            source="demo",
            source_id=f"demo-{pk}",
        )
        for pk, op, lat, lng, acc, at in bikes
    ]
    if not observations:
        return
    summary = parked_bikes_evaluate(observations=observations, open_notices=False)
    ctx.say(f"compliance: {len(summary.checks)} parked bikes judged {dict(summary.by_verdict)}")
