"""Time windows and the data-calibrated paths, on recorded trips and compliance checks."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from nuanxin.insight import h3agg
from tests.insight.citydata import SPOT_A, SPOT_A2, SPOT_B, make_trip, small_city

API = "/api/v1/insight/heatmap"


def _local(days_ago: int, hour: int) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 20)))


@pytest.fixture
def trips(personas):
    city = small_city(personas)
    bike = city["bikes"][0]
    for d in range(3):  # three mornings A → B at 08:20, one evening B → A2 at 18:20
        make_trip(personas.operator, bike, start=SPOT_A, end=SPOT_B, at=_local(d + 1, 8))
    make_trip(personas.operator, bike, start=SPOT_B, end=SPOT_A2, at=_local(1, 18))
    return city


def test_hour_of_day_window_counts_trip_origins_at_that_hour(personas, client_for, trips):
    c = client_for(personas.analyst)
    body = c.get(f"{API}?layer=trip_origins&window=hour&hour=8&days=7").json()
    assert body["total"] == 3
    assert body["cells"][0]["cell"] == h3agg.h3.latlng_to_cell(*SPOT_A, 9)
    assert c.get(f"{API}?layer=trip_origins&window=hour&hour=9&days=7").json()["total"] == 0
    assert c.get(f"{API}?layer=trip_origins&window=hour&hour=8&days=2").json()["total"] == 1
    dests = c.get(f"{API}?layer=trip_destinations&window=hour&hour=18&days=7").json()
    assert dests["total"] == 1
    assert dests["cells"][0]["cell"] == h3agg.h3.latlng_to_cell(*SPOT_A2, 9)


def test_day_window_and_district_cut(personas, client_for, trips):
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    c = client_for(personas.dispatcher)
    assert c.get(f"{API}?layer=trip_origins&window=day&date={yesterday}").json()["total"] == 2
    south = c.get(
        f"{API}?layer=trip_origins&window=day&date={yesterday}&district={personas.district_b.pk}"
    ).json()
    assert south["total"] == 1  # the evening trip starts in district B


def test_violations_layer_reads_compliance_checks(personas, client_for, trips):
    from nuanxin.compliance.models import ParkingCheck

    bike = trips["bikes"][0]
    for i, verdict in enumerate(["outside", "outside", "in_spot"]):
        ParkingCheck.objects.create(
            bike=bike,
            operator=personas.operator,
            observed_at=timezone.now(),
            lat=SPOT_B[0],
            lng=SPOT_B[1],
            accuracy_used_m=5,
            tolerance_m=1,
            source="event",
            source_id=f"e{i}",
            verdict=verdict,
            rule="beyond_error",
        )
    body = client_for(personas.dispatcher).get(f"{API}?layer=violations").json()
    assert body["available"] and body["total"] == 2
    assert client_for(personas.officer_a).get(f"{API}?layer=violations").json()["total"] == 0


@pytest.mark.slow
def test_fleet_size_calibrates_demand_from_recorded_trips(personas, trips, tmp_path, settings):
    import yaml
    from django.core.management import CommandError

    from tests.insight.test_fleet_size import _config

    settings.VAR_DIR = tmp_path
    path = _config(tmp_path, max_fleet=60)
    # The default min_trips (500) refuses to calibrate on four trips when told to use the DB.
    with pytest.raises(CommandError, match="无法标定需求"):
        call_command("fleet_size", "--config", path, "--demand", "db", verbosity=0)
    from pathlib import Path

    cfg = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    cfg["demand"]["min_trips"] = 1
    Path(path).write_text(yaml.safe_dump(cfg), encoding="utf-8")
    out = StringIO()
    call_command(
        "fleet_size",
        "--target",
        "0.3",
        "--config",
        path,
        "--demand",
        "db",
        "--no-report",
        "--json",
        stdout=out,
        verbosity=0,
    )
    result = json.loads(out.getvalue())
    assert result["demand_source"] == "trips" and result["trips_used"] == 4
    # Four trips over the three days they span: 4/3 trips a day.
    assert result["daily_trips"] == pytest.approx(4 / 3, rel=0.35)
    assert 0 <= result["achieved"] <= 1 and result["spots"] == 3


def test_calibrated_origins_follow_the_recorded_trips():
    from nuanxin.insight.sim.demand import from_trips

    lat = np.array([33.80, 33.85, 33.90])
    lng = np.array([115.70, 115.75, 115.80])
    n = 300
    d = from_trips(
        lat=lat,
        lng=lng,
        capacity=np.array([10, 10, 10]),
        start_lat=np.full(n, 33.80),
        start_lng=np.full(n, 115.70),
        end_lat=np.full(n, 33.90),
        end_lng=np.full(n, 115.80),
        start_hour=np.full(n, 8),
        days=10,
        scale_m=1500,
    )
    assert d.source == "trips" and d.daily_trips == pytest.approx(30)
    rates = d.city.origin_rate
    assert rates[8].sum() == pytest.approx(30) and rates[9].sum() == 0
    assert rates[8, 0] / rates[8].sum() > 0.98  # nearly every trip starts at spot 0
    w = d.city.dest_weight[0] / d.city.dest_weight[0].sum()
    assert w[2] > 0.99  # and goes to spot 2
