from __future__ import annotations

import random
from typing import Any

import pytest
from django.core.management import call_command

from nuanxin.core.demo import DemoContext, run_seeders
from nuanxin.mds.models import MdsEvent, Telemetry, Trip


@pytest.mark.slow
def test_bike_traffic_plays_operators_through_the_real_agency_api(
    transactional_db: Any, live_server: Any, tmp_path: Any
) -> None:
    ctx = DemoContext(rng=random.Random(3), scale=0.01)
    run_seeders(ctx, only=["orgs", "bikes"])
    assert len(ctx.operators) == 3 and all(o["token"].startswith("nx_demo_") for o in ctx.operators)
    call_command(
        "bike_traffic",
        "--base-url",
        live_server.url,
        "--duration",
        "2",
        "--rate",
        "9",
        "--accounts-file",
        str(tmp_path / "none.json"),
        "--fix-after",
        "0",
        "0",
    )
    assert MdsEvent.objects.filter(vehicle_state="available").exists()
    assert MdsEvent.objects.filter(vehicle_state="on_trip").exists()
    assert Trip.objects.count() > 0 and Telemetry.objects.count() > 0
    again = DemoContext(rng=random.Random(3), scale=0.01)
    run_seeders(again, only=["orgs", "bikes"])
    assert [o["token"] for o in again.operators] == [o["token"] for o in ctx.operators]
