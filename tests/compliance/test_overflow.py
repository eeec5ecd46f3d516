"""A spot's overflow alert follows its occupancy when a parked bike is next seen elsewhere
with no movement reported in between (the write that replaces its state vacates the spot)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from nuanxin.compliance.models import BikeParking, OverflowAlert
from nuanxin.compliance.services import (
    judgement_apply,
    overflow_refresh,
    parked_bikes_evaluate,
    parked_bikes_judge,
    spot_counts,
)
from tests.compliance.factories import LAT0, LNG0, make_bike, make_spot, offset, parked

S2_EAST_M = 200.0  # S2's centre, east of S1's: far beyond S1's 50 m search radius


def s1_over_capacity(personas, *, qingju: int, at: dt.datetime):
    """S1 (capacity 2) holding `qingju` bikes of one operator and one of the other, S2
    (capacity 10) empty; returns (S1, S2, bikes, S1's open alert)."""
    s1 = make_spot("S1", capacity=2)
    s2 = make_spot("S2", *offset(LAT0, LNG0, S2_EAST_M), capacity=10)
    bikes = [make_bike(personas.operator) for _ in range(qingju)]
    bikes.append(make_bike(personas.other_operator))
    parked_bikes_evaluate(observations=[parked(b, LAT0, LNG0, at=at) for b in bikes])
    alert = OverflowAlert.objects.get(spot=s1.spot, closed_at__isnull=True)
    assert (alert.count, alert.shares) == (qingju + 1, {"qingju": qingju, "hellobike": 1})
    return s1, s2, bikes, alert


def test_a_bike_next_seen_in_another_spot_updates_its_old_spots_alert(personas):
    t0 = timezone.now() - dt.timedelta(minutes=10)
    s1, s2, bikes, alert = s1_over_capacity(personas, qingju=3, at=t0)

    # No trip_start or pick-up in between: the bike is simply reported parked in S2.
    again = parked(bikes[0], *offset(LAT0, LNG0, S2_EAST_M), at=t0 + dt.timedelta(minutes=5))
    parked_bikes_evaluate(observations=[again])

    assert spot_counts(spot_ids={s1.spot_id, s2.spot_id}) == {s1.spot_id: 3, s2.spot_id: 1}
    alert.refresh_from_db()
    assert alert.closed_at is None
    assert (alert.count, alert.peak) == (3, 4)
    assert alert.shares == {"qingju": 2, "hellobike": 1}


def test_a_bike_seen_in_another_spot_closes_its_old_spots_alert(personas):
    t0 = timezone.now() - dt.timedelta(minutes=10)
    s1, s2, bikes, alert = s1_over_capacity(personas, qingju=2, at=t0)

    again = parked(bikes[0], *offset(LAT0, LNG0, S2_EAST_M), at=t0 + dt.timedelta(minutes=5))
    parked_bikes_evaluate(observations=[again])

    assert spot_counts(spot_ids={s1.spot_id, s2.spot_id}) == {s1.spot_id: 2, s2.spot_id: 1}
    alert.refresh_from_db()
    assert alert.closed_at is not None
    assert (alert.count, alert.shares) == (2, {"qingju": 1, "hellobike": 1})


def test_a_bike_next_seen_outside_closes_its_old_spots_alert(personas):
    t0 = timezone.now() - dt.timedelta(minutes=10)
    s1, s2, bikes, alert = s1_over_capacity(personas, qingju=2, at=t0)

    # Outside, 20 m east of S2's edge: the decision names S2, the nearer spot, not S1.
    outside = offset(LAT0, LNG0, S2_EAST_M + 5.0 + 20.0)
    judgement = parked_bikes_judge(
        observations=[parked(bikes[2], *outside, at=t0 + dt.timedelta(minutes=5))]
    )
    (decision,) = judgement.decisions
    assert (decision.verdict, decision.spot_id) == ("outside", s2.spot_id)
    to_refresh: set[int] = set()
    judgement_apply(judgement=judgement, overflow_spots=to_refresh)
    assert to_refresh == {s1.spot_id, s2.spot_id}  # S1 vacated, S2 named

    overflow_refresh(spot_ids=to_refresh)  # once per batch, as ingest does
    assert spot_counts(spot_ids={s1.spot_id}) == {s1.spot_id: 2}
    alert.refresh_from_db()
    assert alert.closed_at is not None
    assert (alert.count, alert.shares) == (2, {"qingju": 2})


def test_an_older_observation_elsewhere_vacates_nothing(personas):
    t0 = timezone.now() - dt.timedelta(minutes=10)
    s1, s2, bikes, alert = s1_over_capacity(personas, qingju=2, at=t0)
    before = (alert.count, alert.shares, alert.updated_at, alert.closed_at)

    # Judged late: an observation of the bike in S2 from before it parked in S1.
    older = parked(bikes[0], *offset(LAT0, LNG0, S2_EAST_M), at=t0 - dt.timedelta(minutes=5))
    to_refresh: set[int] = set()
    judgement_apply(judgement=parked_bikes_judge(observations=[older]), overflow_spots=to_refresh)
    assert to_refresh == {s2.spot_id}  # named by the decision; S1 was not vacated

    overflow_refresh(spot_ids=to_refresh)
    assert BikeParking.objects.get(bike=bikes[0]).spot_id == s1.spot_id
    assert spot_counts(spot_ids={s1.spot_id, s2.spot_id}) == {s1.spot_id: 3}
    alert.refresh_from_db()
    assert (alert.count, alert.shares, alert.updated_at, alert.closed_at) == before
