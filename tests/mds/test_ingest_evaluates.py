"""Ingest hands parked bikes to the compliance engine after the batch commits (the seam)."""

from __future__ import annotations

from typing import Any

from nuanxin.compliance.models import ParkingCheck
from tests.mds.conftest import Agency


def test_parked_events_and_telemetry_are_evaluated_after_commit(
    agency: Agency, spots: list, django_capture_on_commit_callbacks: Any
) -> None:
    bike = agency.register(1)[0]
    ring = spots[0].polygon["coordinates"][0]
    lat, lng = (ring[0][1] + ring[2][1]) / 2, (ring[0][0] + ring[2][0]) / 2
    parked = agency.event(
        bike, location={"lat": lat, "lng": lng, "horizontal_accuracy": 0.5}, beacon_ids=["BEACON-1"]
    )
    moving = agency.event(
        bike,
        vehicle_state="on_trip",
        event_types=["trip_start"],
        timestamp=parked["timestamp"] - 60_000,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert agency.post("/events", [parked, moving]).json()["success"] == 2
    check = ParkingCheck.objects.get(source_id=parked["event_id"])
    assert check.source == "event" and check.beacon_ids == ["BEACON-1"]
    assert check.spot_version_id == spots[0].pk
    assert not ParkingCheck.objects.filter(source_id=moving["event_id"]).exists()

    with django_capture_on_commit_callbacks(execute=True):
        again = agency.post("/events", [parked])  # an idempotent repeat is not re-evaluated
    assert again.json()["success"] == 1
    assert ParkingCheck.objects.filter(source_id=parked["event_id"]).count() == 1

    tele = agency.telemetry(bike, location={"lat": lat, "lng": lng, "horizontal_accuracy": 1.0})
    with django_capture_on_commit_callbacks(execute=True):
        agency.post("/telemetry", [tele])
    assert ParkingCheck.objects.get(source_id=tele["telemetry_id"]).source == "telemetry"
