"""Position-error cases: on the edge, accuracy 10 m, beacon present or absent."""

from __future__ import annotations

import pytest
from django.utils import translation

from nuanxin.compliance.models import BikeParking, ParkingCheck
from nuanxin.compliance.services import parked_bikes_evaluate
from tests.compliance.factories import LAT0, LNG0, east_of_spot_edge, make_bike, make_spot, parked


@pytest.fixture
def spot(db):
    return make_spot("S1", capacity=10)


@pytest.fixture
def beacon_spot(db):
    return make_spot("S1", capacity=10, beacons=("BEACON-1", "BEACON-2"))


def judge(bike, lat, lng, **kw) -> ParkingCheck:
    summary = parked_bikes_evaluate(observations=[parked(bike, lat, lng, **kw)])
    assert len(summary.checks) == 1
    return ParkingCheck.objects.select_related("spot", "spot_version").get(pk=summary.checks[0].pk)


@pytest.mark.parametrize(
    ("dist_m", "accuracy", "verdict", "rule"),
    [
        (-2.0, 0.0, "in_spot", "inside"),  # well inside
        (0.0, 0.0, "in_spot", "inside"),  # exactly on the edge
        (0.9, 0.0, "in_spot", "within_tolerance"),  # within the 1 m tolerance
        (1.2, 0.0, "outside", "beyond_error"),  # just beyond tolerance, perfect GPS
        (5.0, 10.0, "uncertain", "within_error"),  # could be a 10 m GPS error: hold it
        (10.9, 10.0, "uncertain", "within_error"),  # still within accuracy + tolerance
        (11.2, 10.0, "outside", "beyond_error"),  # beyond accuracy + tolerance
        (5.0, None, "outside", "beyond_error"),  # no accuracy sent: no benefit of doubt
    ],
)
def test_position_error_rule(personas, spot, dist_m, accuracy, verdict, rule):
    bike = make_bike(personas.operator)
    lat, lng = east_of_spot_edge(dist_m)
    check = judge(bike, lat, lng, accuracy=accuracy)
    assert (check.verdict, check.rule) == (verdict, rule)
    assert check.spot == spot.spot and check.spot_version == spot
    assert check.distance_m == pytest.approx(max(dist_m, 0.0), abs=0.02)
    assert check.tolerance_m == 1.0


def test_beacon_present_confirms_a_position_within_error(personas, beacon_spot):
    bike = make_bike(personas.operator)
    lat, lng = east_of_spot_edge(5.0)
    check = judge(bike, lat, lng, accuracy=10.0, beacons=("BEACON-2",))
    assert (check.verdict, check.rule) == ("in_spot", "beacon_confirmed")
    assert check.beacon_confirmed and check.beacon_ids == ["BEACON-2"]


def test_beacon_absent_keeps_it_uncertain_and_says_so(personas, beacon_spot):
    bike = make_bike(personas.operator)
    lat, lng = east_of_spot_edge(5.0)
    check = judge(bike, lat, lng, accuracy=10.0)
    assert (check.verdict, check.rule) == ("uncertain", "within_error_no_beacon")
    assert "道钉" in check.explanation()["rule_label"]


def test_far_away_beacon_claim_is_not_trusted(personas, beacon_spot):
    bike = make_bike(personas.operator)
    lat, lng = east_of_spot_edge(40.0)
    check = judge(bike, lat, lng, accuracy=3.0, beacons=("BEACON-1",))
    assert (check.verdict, check.rule) == ("outside", "beyond_error")
    assert not check.beacon_confirmed


def test_unknown_beacon_changes_nothing(personas, beacon_spot):
    bike = make_bike(personas.operator)
    lat, lng = east_of_spot_edge(5.0)
    check = judge(bike, lat, lng, accuracy=10.0, beacons=("SOMEONE-ELSES",))
    assert check.verdict == "uncertain"


def test_far_from_any_spot_is_outside_and_still_names_the_nearest(personas, spot):
    bike = make_bike(personas.operator)
    lat, lng = east_of_spot_edge(300.0)
    check = judge(bike, lat, lng, accuracy=5.0)
    assert (check.verdict, check.rule) == ("outside", "no_spot_nearby")
    assert check.spot == spot.spot
    assert check.distance_m == pytest.approx(300.0, abs=0.5)


def test_hopeless_accuracy_is_uncertain(personas, spot):
    bike = make_bike(personas.operator)
    lat, lng = east_of_spot_edge(120.0)
    check = judge(bike, lat, lng, accuracy=200.0)
    assert (check.verdict, check.rule) == ("uncertain", "poor_accuracy")


def test_poor_accuracy_is_still_explained_by_the_nearest_spot(personas, spot):
    bike = make_bike(personas.operator)
    lat, lng = east_of_spot_edge(200.0)
    check = judge(bike, lat, lng, accuracy=60.0)
    assert (check.verdict, check.rule) == ("uncertain", "poor_accuracy")
    assert check.spot == spot.spot and check.spot_version == spot
    e = check.explanation()
    assert e["nearest_spot"] == "S1" and e["spot_version"] == 1
    assert e["spot_version_id"] == spot.pk
    assert e["distance_m"] == pytest.approx(200.0, abs=0.5)
    assert e["accuracy_m"] == 60.0 and e["tolerance_m"] == 1.0
    assert e["text"].startswith("距最近停放点 S1（第 1 版）200.0 米；定位精度 60.0 米")
    assert "搜索半径内没有停放点" in e["text"] and "附近没有停放点" not in e["text"]
    # Not parked in it: the bike's state names no spot (a spot only for in_spot).
    assert BikeParking.objects.get(bike=bike).spot_id is None
    with translation.override("en"):
        text = check.explanation()["text"]
    assert text.startswith("200.0 m from the nearest spot S1 (version 1); position accuracy 60.0")
    assert "accuracy + tolerance is at least that radius: cannot judge" in text


def test_explanation_names_spot_version_distance_accuracy_and_rule(personas, spot):
    bike = make_bike(personas.operator)
    lat, lng = east_of_spot_edge(20.0)
    check = judge(bike, lat, lng, accuracy=4.0)
    e = check.explanation()
    assert e["nearest_spot"] == "S1" and e["spot_version"] == 1
    assert e["distance_m"] == pytest.approx(20.0, abs=0.02)
    assert e["accuracy_m"] == 4.0 and e["tolerance_m"] == 1.0
    assert e["rule"] == "beyond_error"
    assert "S1" in e["text"] and "20.0" in e["text"]


def test_tolerance_is_configurable(personas, spot, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_TOLERANCE_M", "3")
    bike = make_bike(personas.operator)
    lat, lng = east_of_spot_edge(2.5)
    check = judge(bike, lat, lng, accuracy=0.0)
    assert (check.verdict, check.rule) == ("in_spot", "within_tolerance")


def test_same_event_twice_is_one_decision(personas, spot):
    bike = make_bike(personas.operator)
    obs = parked(bike, LAT0, LNG0, source_id="evt-1")
    parked_bikes_evaluate(observations=[obs])
    again = parked_bikes_evaluate(observations=[obs, obs])
    assert again.duplicates == 2
    assert ParkingCheck.objects.filter(source_id="evt-1").count() == 1
