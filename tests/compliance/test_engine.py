"""The vectorised engine agrees with the naive per-polygon reference; reloads on change."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely
from django.utils import timezone

from nuanxin.compliance import index as index_mod
from nuanxin.compliance.engine import VERDICTS, EngineConfig, SpotIndex, naive_check
from nuanxin.compliance.models import OverflowAlert, ParkingCheck
from nuanxin.compliance.services import bikes_moved, parked_bikes_evaluate
from tests.compliance.factories import (
    LAT0,
    LNG0,
    east_of_spot_edge,
    make_bike,
    make_spot,
    moved,
    parked,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))


def test_engine_matches_naive_reference_on_random_city():
    import compliance as bench  # bench/compliance.py's synthetic city

    rng = np.random.default_rng(7)
    spots = bench.make_spots(300, rng)
    lat, lng, acc = bench.make_points(spots, 3000, rng)
    index = SpotIndex(spots)
    cfg = EngineConfig(tolerance_m=1.0)
    res = index.check(lat, lng, acc, cfg)
    for i in range(0, 3000, 7):
        verdict, _rule, spot, dist = naive_check(index, lat[i], lng[i], acc[i], cfg)
        assert VERDICTS[res.verdict[i]] == verdict, i
        assert res.spot[i] == spot
        if spot >= 0:
            assert res.distance_m[i] == pytest.approx(dist, abs=1e-6)


def test_nearest_spots_many_matches_one_distance_per_polygon():
    import compliance as bench  # bench/compliance.py's synthetic city

    rng = np.random.default_rng(11)
    spots = bench.make_spots(300, rng)
    lat, lng, _acc = bench.make_points(spots, 60, rng)
    lat, lng = [*lat, 0.0], [*lng, 0.0]  # the last point is far from every spot
    index = SpotIndex(spots)
    found = index.nearest_spots_many(lat, lng, limit_m=400.0)
    assert len(found) == len(lat)
    for k, (near, dists, complete) in enumerate(found):
        assert complete
        x, y = index.projection.to_xy(lat[k], lng[k])
        point = shapely.Point(float(x), float(y))
        every = [(float(p.distance(point)), i) for i, p in enumerate(index.polygons_xy)]
        expected = sorted((d, i) for d, i in every if d <= 400.0)
        assert near.tolist() == [i for _d, i in expected], k
        assert dists.tolist() == pytest.approx([d for d, _i in expected], abs=1e-9)
    assert found[-1][0].size == 0
    assert index.nearest_spots_many([], [], limit_m=400.0) == []
    # With `at_least`: the nearest spots only, a prefix of the whole answer.
    for want in (1, 5, 40):
        some = index.nearest_spots_many(lat, lng, limit_m=400.0, at_least=want)
        for k, near in enumerate(some):
            whole = found[k]
            assert near.spots.tolist() == whole.spots[: len(near.spots)].tolist(), (want, k)
            assert len(near.spots) >= min(want, len(whole.spots))
            if near.complete:
                assert len(near.spots) == len(whole.spots)
        if want == 1:
            assert not all(near.complete for near in some)  # the prefix was taken


def test_polygon_with_a_hole_is_not_a_spot_inside_the_hole():
    from types import SimpleNamespace

    from tests.compliance.factories import box

    outer = box(LAT0, LNG0, 40, 40)["coordinates"][0]
    hole = box(LAT0, LNG0, 20, 20)["coordinates"][0][::-1]
    spot = SimpleNamespace(
        spot_id=1,
        polygon={"type": "Polygon", "coordinates": [outer, hole]},
        capacity=5,
        beacon_ids=(),
        center_lat=LAT0,
        center_lng=LNG0,
    )
    index = SpotIndex([spot])
    res = index.check(np.array([LAT0]), np.array([LNG0]), np.array([0.0]), EngineConfig())
    assert VERDICTS[res.verdict[0]] == "outside"
    assert res.distance_m[0] == pytest.approx(10.0, abs=0.01)


def test_decisions_use_the_spot_version_in_force_at_the_event_time(personas):
    now = timezone.now()
    cut = now - dt.timedelta(hours=1)
    v1 = make_spot("S1", w_m=10, since=now - dt.timedelta(days=3), until=cut)
    v2 = make_spot("S1", w_m=40, since=cut, version=2, spot=v1.spot)  # the spot grew
    bike = make_bike(personas.operator)
    lat, lng = east_of_spot_edge(10.0)  # 10 m outside v1, inside v2
    old = parked(bike, lat, lng, at=now - dt.timedelta(hours=2))
    new = parked(bike, lat, lng, at=now)
    parked_bikes_evaluate(observations=[old, new])
    by_source = {c.source_id: c for c in ParkingCheck.objects.all()}
    assert by_source[old.source_id].verdict == "outside"
    assert by_source[old.source_id].spot_version == v1
    assert by_source[new.source_id].verdict == "in_spot"
    assert by_source[new.source_id].spot_version == v2


def test_index_reloads_when_the_spots_change(personas):
    bike = make_bike(personas.operator)
    make_spot("S1")
    parked_bikes_evaluate(observations=[parked(bike, LAT0, LNG0)])
    built = index_mod.builds
    parked_bikes_evaluate(observations=[parked(bike, LAT0, LNG0)])
    assert index_mod.builds == built  # cached
    far_lat, far_lng = east_of_spot_edge(500)
    make_spot("S2", far_lat, far_lng)  # a new version row bumps the stamp
    summary = parked_bikes_evaluate(observations=[parked(bike, far_lat, far_lng)])
    assert index_mod.builds == built + 1
    assert summary.checks[0].verdict == "in_spot"


def test_spots_stamp_fingerprints_the_spots_as_the_orm_aggregate_did(personas):
    import hashlib

    from django.db.models import Count, Max

    from nuanxin.bikes.models import SpotVersion

    def by_orm() -> int:
        agg = SpotVersion.objects.aggregate(
            m=Max("pk"), n=Count("pk"), c=Max("created_at"), t=Max("effective_to")
        )
        key = f"{agg['m']}|{agg['n']}|{agg['c']}|{agg['t']}".encode()
        return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") >> 1

    stamps = [index_mod.spots_stamp()]  # no spots at all
    first = make_spot("S1")
    stamps.append(index_mod.spots_stamp())
    make_spot("S2", *east_of_spot_edge(500))
    stamps.append(index_mod.spots_stamp())
    SpotVersion.objects.filter(pk=first.pk).update(effective_to=timezone.now())  # closed
    stamps.append(index_mod.spots_stamp())
    # The same values as before this became four subqueries (no index rebuilt on upgrade).
    assert stamps[-1] == by_orm()
    assert len(set(stamps)) == len(stamps)
    SpotVersion.objects.filter(pk=first.pk).delete()
    assert index_mod.spots_stamp() == by_orm() not in stamps


def test_overflow_alert_with_each_operators_share_and_its_end(personas):
    make_spot("S1", capacity=2)
    bikes = [make_bike(personas.operator), make_bike(personas.operator)]
    bikes.append(make_bike(personas.other_operator))
    parked_bikes_evaluate(observations=[parked(b, LAT0, LNG0) for b in bikes])
    alert = OverflowAlert.objects.get(closed_at__isnull=True)
    assert (alert.count, alert.capacity) == (3, 2)
    assert alert.shares == {"qingju": 2, "hellobike": 1}
    bikes_moved(observations=[moved(bikes[2], timezone.now(), "rebalance_pick_up")])
    alert.refresh_from_db()
    assert alert.closed_at is not None and alert.count == 2


def test_overflow_api_hides_competitors_shares(client, personas):
    from tests.notices.test_access import token_for

    make_spot("S1", capacity=1)
    parked_bikes_evaluate(
        observations=[
            parked(make_bike(personas.operator), LAT0, LNG0),
            parked(make_bike(personas.other_operator), LAT0, LNG0),
        ]
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for(personas.operator)}"}
    data = client.get("/api/v1/compliance/overflows", **auth).json()
    assert data[0]["shares"] == {"qingju": 1, "others": 1}
