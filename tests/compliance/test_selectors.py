"""Decisions read back whole: the stored ones and the in-spot decisions kept on their events,
through the selectors and `/api/v1/compliance/`, each operator seeing only its own bikes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from nuanxin.compliance.models import ParkingCheck
from nuanxin.compliance.selectors import decisions_list
from nuanxin.mds.models import MdsEvent, Telemetry
from tests.mds.conftest import Agency, agency, other_agency, spots  # noqa: F401

pytestmark = pytest.mark.django_db

OUTSIDE = {"lat": 33.872, "lng": 115.7502, "horizontal_accuracy": 0.5}


def inside(spot: Any) -> dict:
    ring = spot.polygon["coordinates"][0]
    return {
        "lat": (ring[0][1] + ring[2][1]) / 2,
        "lng": (ring[0][0] + ring[2][0]) / 2,
        "horizontal_accuracy": 0.5,
    }


def api(who: Agency, path: str) -> Any:
    return who.client.get(f"/api/v1/compliance{path}", HTTP_AUTHORIZATION=f"Bearer {who.token}")


@pytest.fixture
def decided(agency: Agency, other_agency: Agency, spots: list) -> dict[str, dict]:  # noqa: F811
    """Our bike parked in spot, then another of ours outside a second later; theirs in spot."""
    good, bad = agency.register(2)
    theirs = other_agency.register(1, start=50)[0]
    parked = agency.event(good, location=inside(spots[1]))
    flagged = agency.event(bad, location=OUTSIDE, timestamp=parked["timestamp"] + 1000)
    their_parked = other_agency.event(theirs, location=inside(spots[1]))
    assert agency.post("/events", [parked, flagged]).json()["success"] == 2
    assert other_agency.post("/events", [their_parked]).json()["success"] == 1
    return {"parked": parked, "flagged": flagged, "theirs": their_parked}


def test_the_api_lists_stored_and_inline_decisions_newest_first(
    agency: Agency,  # noqa: F811
    decided: dict,
    spots: list,  # noqa: F811
) -> None:
    assert ParkingCheck.objects.count() == 1  # only the outside decision has a row
    rows = api(agency, "/checks").json()
    assert [(r["source_id"], r["stored"]) for r in rows] == [
        (decided["flagged"]["event_id"], True),
        (decided["parked"]["event_id"], False),
    ]
    flagged, parked = rows
    assert flagged["id"] == ParkingCheck.objects.get().pk
    assert flagged["explanation"]["verdict"] == "outside"
    assert parked["id"] is None
    assert parked["explanation"] | {"text": ""} == {
        "verdict": "in_spot",
        "rule": "inside",
        "rule_label": "定位点在停放点范围内",
        "nearest_spot": "S0001",
        "spot_version": 1,
        "spot_version_id": spots[1].pk,
        "distance_m": parked["explanation"]["distance_m"],
        "accuracy_m": 0.5,
        "accuracy_used_m": 0.5,
        "tolerance_m": 1.0,
        "beacon_ids": [],
        "beacon_confirmed": False,
        "text": "",
    }
    assert "S0001" in parked["explanation"]["text"]

    in_spot = api(agency, "/checks?verdict=in_spot").json()
    assert [r["source_id"] for r in in_spot] == [decided["parked"]["event_id"]]
    outside = api(agency, "/checks?verdict=outside").json()
    assert [r["source_id"] for r in outside] == [decided["flagged"]["event_id"]]
    plate = MdsEvent.objects.get(event_id=decided["parked"]["event_id"]).bike.plate
    by_plate = api(agency, f"/checks?plate={plate}").json()
    assert [r["source_id"] for r in by_plate] == [decided["parked"]["event_id"]]
    assert len(api(agency, "/checks?limit=1").json()) == 1


def test_each_operator_sees_only_its_own_decisions(
    agency: Agency,  # noqa: F811
    other_agency: Agency,  # noqa: F811
    decided: dict,
    personas: Any,
) -> None:
    theirs = api(other_agency, "/checks").json()
    assert [r["source_id"] for r in theirs] == [decided["theirs"]["event_id"]]
    everything = decisions_list(personas.dispatcher, limit=10)
    assert {c.source_id for c in everything} == {e["event_id"] for e in decided.values()}

    for name in ("parked", "flagged"):
        own = api(agency, f"/decisions/event/{decided[name]['event_id']}")
        assert own.status_code == 200 and own.json()["source_id"] == decided[name]["event_id"]
        assert api(other_agency, f"/decisions/event/{decided[name]['event_id']}").status_code == 404
    assert api(agency, f"/decisions/event/{decided['theirs']['event_id']}").status_code == 404
    assert api(agency, "/decisions/event/not-a-uuid").status_code == 404
    assert api(agency, "/decisions/telemetry/not-a-uuid").status_code == 404


def test_in_spot_telemetry_decisions_are_listed_and_found_by_their_owner_only(
    agency: Agency,  # noqa: F811
    other_agency: Agency,  # noqa: F811
    decided: dict,
    spots: list,  # noqa: F811
    personas: Any,
) -> None:
    """A parked bike's telemetry judged in spot keeps its decision on the point: listed with
    the events' decisions, newest first, and found by its id, by its operator alone."""
    bike = MdsEvent.objects.get(event_id=decided["parked"]["event_id"]).bike
    point = agency.telemetry(
        bike, location=inside(spots[1]), timestamp=decided["flagged"]["timestamp"] + 1000
    )
    assert agency.post("/telemetry", [point]).json()["success"] == 1
    assert ParkingCheck.objects.count() == 1  # still only the outside event's row

    rows = api(agency, "/checks").json()
    assert [(r["source"], r["source_id"], r["stored"]) for r in rows] == [
        ("telemetry", point["telemetry_id"], False),
        ("event", decided["flagged"]["event_id"], True),
        ("event", decided["parked"]["event_id"], False),
    ]
    assert rows[0]["explanation"]["verdict"] == "in_spot"
    assert rows[0]["explanation"]["spot_version_id"] == spots[1].pk
    assert [r["source_id"] for r in api(agency, "/checks?limit=1").json()] == [
        point["telemetry_id"]
    ]
    assert point["telemetry_id"] in {
        c.source_id for c in decisions_list(personas.dispatcher, limit=10)
    }
    assert point["telemetry_id"] not in {
        r["source_id"] for r in api(other_agency, "/checks").json()
    }

    own = api(agency, f"/decisions/telemetry/{point['telemetry_id']}")
    assert own.status_code == 200
    assert (own.json()["source"], own.json()["explanation"]["verdict"]) == ("telemetry", "in_spot")
    assert api(other_agency, f"/decisions/telemetry/{point['telemetry_id']}").status_code == 404
    assert api(agency, f"/decisions/nothing/{point['telemetry_id']}").status_code == 404


def test_the_decisions_list_reads_decided_points_from_their_partial_index(
    agency: Agency,  # noqa: F811
) -> None:
    """The list's per-operator query of points walks the partial (operator, timestamp)
    index of decided points: no scan, no sort of an operator's whole telemetry. (SQLite's
    plan; PostgreSQL's planner picks by table statistics, which an empty test table lacks.)"""
    if connection.vendor != "sqlite":
        pytest.skip("the plan depends on PostgreSQL's statistics")
    query = (
        Telemetry.objects.filter(decision__isnull=False, operator_id=agency.operator.pk)
        .order_by("-timestamp", "-pk")[:100]
        .explain()
    )
    assert "mds_telemetry_decided_idx" in query
    assert "TEMP B-TREE" not in query
