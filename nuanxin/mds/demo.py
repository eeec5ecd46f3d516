"""Demo MDS data: some trip history for the demo bikes, and the published parking policy."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from django.utils import timezone

from nuanxin.bikes.models import Bike
from nuanxin.core.demo import DemoContext
from nuanxin.mds.models import Trip
from nuanxin.mds.policy import policy_publish


def seed(ctx: DemoContext) -> None:
    """Idempotent: running it twice adds nothing."""
    rng = random.Random(ctx.rng.getrandbits(64))
    if not Trip.objects.exists():
        bikes = list(
            Bike.objects.filter(vehicle_state="available", lat__isnull=False)
            .order_by("pk")
            .values_list("pk", "operator_id", "lat", "lng")[: ctx.scaled(3000, minimum=10)]
        )
        now = timezone.now()
        trips = []
        for pk, op, lat_or_none, lng_or_none in bikes:
            lat, lng = float(lat_or_none or 0), float(lng_or_none or 0)
            minutes = rng.randint(4, 40)
            end = now - timedelta(minutes=rng.randint(30, 60 * 24 * 7))
            s_lat = lat + rng.uniform(-0.01, 0.01)
            s_lng = lng + rng.uniform(-0.01, 0.01)
            distance = int(((s_lat - lat) ** 2 + (s_lng - lng) ** 2) ** 0.5 * 105_000)
            trips.append(
                Trip(
                    trip_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    operator_id=op,
                    bike_id=pk,
                    start_time=end - timedelta(minutes=minutes),
                    end_time=end,
                    duration_s=minutes * 60,
                    distance_m=distance,
                    start_lat=s_lat,
                    start_lng=s_lng,
                    end_lat=lat,
                    end_lng=lng,
                    payload={"source": "demo"},
                )
            )
        Trip.objects.bulk_create(trips, batch_size=2000)
        ctx.say(f"mds: {len(trips)} historical trips")
    policy = policy_publish(by=None)
    if policy is not None:
        ctx.say(f"mds: published policy {policy.policy_id}")
