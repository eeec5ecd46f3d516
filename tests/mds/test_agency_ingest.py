from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from nuanxin.audit.models import AuditEvent
from nuanxin.bikes.models import Bike, Operator, UnregisteredSighting
from nuanxin.mds.ingest.events import advance_state_prepare
from nuanxin.mds.models import MdsEvent, Telemetry, Trip
from tests.mds.conftest import Agency, now_ms
from tests.mds.schemas import assert_valid, mds_request_validator, mds_response_validator


def check(response: Any, path: str, method: str = "post") -> dict:
    body = response.json()
    assert_valid(mds_response_validator("agency", path, method, response.status_code), body)
    return body


def test_events_are_stored_and_the_response_follows_the_mds_schema(agency: Agency) -> None:
    bikes = agency.register(3)
    items = [agency.event(b) for b in bikes]
    assert_valid(mds_request_validator("agency", "/events", "post"), items)
    response = agency.post("/events", items)
    assert response.status_code == 201
    body = check(response, "/events")
    assert body == {"success": 3, "total": 3, "failures": []}
    assert MdsEvent.objects.count() == 3
    bike = Bike.objects.get(pk=bikes[0].pk)
    assert bike.vehicle_state == "available"
    assert bike.lat == 33.87 and bike.accuracy_m == 3.0


def test_ingest_is_idempotent_on_event_id(agency: Agency) -> None:
    bikes = agency.register(1)
    items = [agency.event(bikes[0])]
    assert agency.post("/events", items).json()["success"] == 1
    again = agency.post("/events", items)
    assert again.status_code == 201
    assert again.json() == {"success": 1, "total": 1, "failures": []}
    assert MdsEvent.objects.count() == 1


def test_out_of_order_events_are_accepted_and_the_latest_state_wins(agency: Agency) -> None:
    bike = agency.register(1)[0]
    t = now_ms() - 60_000
    newer = agency.event(bike, timestamp=t, location={"lat": 33.88, "lng": 115.76})
    older = agency.event(
        bike,
        vehicle_state="on_trip",
        event_types=["trip_start"],
        timestamp=t - 30_000,
        location={"lat": 33.86, "lng": 115.74},
    )
    assert agency.post("/events", [newer]).status_code == 201
    response = agency.post("/events", [older])
    assert response.json()["success"] == 1
    bike.refresh_from_db()
    assert bike.vehicle_state == "available"
    assert (bike.lat, bike.lng) == (33.88, 115.76)
    assert MdsEvent.objects.filter(bike=bike).count() == 2


def test_state_and_position_each_advance_on_their_own_time(agency: Agency) -> None:
    """A located event older than the bike's state (set by a later event without a location)
    but newer than its position moves the position only; a newer one moves both."""
    bike = agency.register(1)[0]
    t = now_ms() - 60_000
    no_location = agency.event(
        bike, vehicle_state="non_operational", event_types=["battery_low"], timestamp=t
    )
    no_location.pop("location")
    no_location["event_geographies"] = [str(uuid.uuid4())]
    assert agency.post("/events", [no_location]).status_code == 201
    located_older = agency.event(
        bike, timestamp=t - 10_000, location={"lat": 33.861, "lng": 115.741}
    )
    assert agency.post("/events", [located_older]).json()["success"] == 1
    bike.refresh_from_db()
    assert bike.vehicle_state == "non_operational"
    assert (bike.lat, bike.lng) == (33.861, 115.741)

    telemetry = agency.telemetry(
        bike, timestamp=t + 20_000, location={"lat": 33.862, "lng": 115.742}
    )
    assert agency.post("/telemetry", [telemetry]).status_code == 201
    located_newer_state = agency.event(
        bike, timestamp=t + 10_000, location={"lat": 33.863, "lng": 115.743}
    )
    assert agency.post("/events", [located_newer_state]).json()["success"] == 1
    bike.refresh_from_db()
    assert bike.vehicle_state == "available"  # newer than the state
    assert (bike.lat, bike.lng) == (33.862, 115.742)  # older than the telemetry position


def test_one_bike_held_back_by_a_newer_position_leaves_the_others_of_its_batch_advancing(
    agency: Agency,
) -> None:
    """The batch's state and position are written together for all bikes; one bike whose
    position on record is newer (from telemetry) makes the batch write each part under its
    own guard: that bike keeps its position but takes the state, the others take both."""
    held, *others = agency.register(3)
    t = now_ms() - 60_000
    newer_position = agency.telemetry(
        held, timestamp=t + 5_000, location={"lat": 33.869, "lng": 115.751}
    )
    response = agency.post("/telemetry", [newer_position])
    assert response.status_code == 201, response.content
    batch = [
        agency.event(bike, timestamp=t, location={"lat": lat, "lng": 115.75})
        for lat, bike in zip((33.87, 33.871, 33.872), [held, *others], strict=True)
    ]
    for item in batch:
        item.update(vehicle_state="non_operational", event_types=["maintenance"])
    assert agency.post("/events", batch).json()["success"] == 3

    rows = {b.pk: b for b in Bike.objects.filter(pk__in=[held.pk, *(b.pk for b in others)])}
    assert (rows[held.pk].lat, rows[held.pk].lng) == (33.869, 115.751)
    assert [(rows[b.pk].lat, rows[b.pk].lng) for b in others] == [
        (33.871, 115.75),
        (33.872, 115.75),
    ]
    assert {b.vehicle_state for b in rows.values()} == {"non_operational"}


def test_each_bad_item_gets_a_specific_mds_error_and_good_ones_still_land(
    agency: Agency, other_agency: Agency
) -> None:
    mine = agency.register(2)
    theirs = other_agency.register(1)[0]
    good = agency.event(mine[0])
    duplicate = dict(good)
    bad_items = {
        "future": agency.event(mine[1], timestamp=now_ms() + 3_600_000),
        "lat_range": agency.event(mine[1], location={"lat": 95.0, "lng": 115.75}),
        "outside_city": agency.event(mine[1], location={"lat": 31.23, "lng": 121.47}),
        "wrong_type": agency.event(mine[1], timestamp="yesterday"),
        "missing": {k: v for k, v in agency.event(mine[1]).items() if k != "vehicle_state"},
        "bad_state_event": agency.event(
            mine[1], vehicle_state="available", event_types=["trip_start"]
        ),
        "other_operator": agency.event(theirs),
        "unregistered": agency.event(mine[1], device_id=str(uuid.uuid4())),
        "provider": agency.event(mine[1], provider_id=str(other_agency.operator.provider_id)),
    }
    response = agency.post("/events", [good, duplicate, *bad_items.values()])
    assert response.status_code == 201
    body = check(response, "/events")
    assert body["success"] == 1
    assert body["total"] == 11
    failures = {tuple(f["error_details"]): f["error"] for f in body["failures"]}
    assert failures[("event_id",)] == "bad_param"  # duplicate in batch
    assert failures[("timestamp",)] == "bad_param"
    assert failures[("location.lat",)] == "bad_param"
    assert failures[("location: outside the city boundary",)] == "bad_param"
    assert failures[("vehicle_state",)] == "missing_param"
    assert failures[("event_types",)] == "bad_param"
    assert failures[("device_id: registered to another provider",)] == "unregistered"
    assert failures[("device_id",)] == "unregistered"
    assert failures[("provider_id",)] == "bad_param"
    assert MdsEvent.objects.count() == 1
    assert Bike.objects.get(pk=theirs.pk).vehicle_state == "removed"  # untouched


def test_unregistered_bikes_are_refused_with_404_and_counted_against_the_operator(
    agency: Agency,
) -> None:
    agency.register(1)
    ghost = uuid.uuid4()
    item = agency.event(Bike(device_id=ghost))
    response = agency.post("/events", [item, dict(item, event_id=str(uuid.uuid4()))])
    assert response.status_code == 404
    body = check(response, "/events")
    assert {f["error"] for f in body["failures"]} == {"unregistered"}
    operator = Operator.objects.get(pk=agency.operator.pk)
    assert operator.unregistered_event_count == 2
    sighting = UnregisteredSighting.objects.get(operator=operator, device_id=ghost)
    assert sighting.count == 2


def test_a_body_over_the_size_limit_is_refused_whole_even_when_well_formed(
    agency: Agency,
) -> None:
    """Django's upload limit is the one limit; the refusal is MDS-shaped, not Django's HTML."""
    padded = b"[" + b" " * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + b"]"  # valid JSON
    for path in ("/events", "/telemetry", "/trips", "/vehicles"):
        response = agency.post(path, raw=padded)
        assert response.status_code == 413
        assert response.json()["error_details"] == ["body: too large"]
    assert MdsEvent.objects.count() == 0 and Telemetry.objects.count() == 0


def test_whole_batch_errors_store_nothing(agency: Agency) -> None:
    bike = agency.register(1)[0]
    before = AuditEvent.objects.count()
    malformed = agency.post("/events", raw=b'[{"event_id": ')
    assert malformed.status_code == 400
    assert_valid(mds_response_validator("agency", "/events", "post", 500), malformed.json())
    assert malformed.json()["error_details"] == ["body: malformed JSON"]
    not_array = agency.post("/events", {"event_id": "x"})
    assert not_array.status_code == 400
    oversize = agency.post("/events", [agency.event(bike) for _ in range(1001)])
    assert oversize.status_code == 413
    assert "1001" in oversize.json()["error_details"][0]
    assert MdsEvent.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_a_full_batch_of_1000_is_accepted(agency: Agency) -> None:
    bikes = agency.register(50)
    items = [agency.event(bikes[i % 50], timestamp=now_ms() - 100_000 + i) for i in range(1000)]
    response = agency.post("/events", items)
    assert response.json() == {"success": 1000, "total": 1000, "failures": []}
    assert MdsEvent.objects.count() == 1000


def test_missing_or_foreign_token_is_refused(agency: Agency) -> None:
    response = agency.client.post("/mds/agency/events", data="[]", content_type="application/json")
    assert response.status_code == 401
    response = agency.client.post(
        "/mds/agency/events",
        data="[]",
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer nx_not_a_token",
    )
    assert response.status_code == 401


def test_telemetry_is_stored_idempotently_and_moves_the_bike(agency: Agency) -> None:
    bike = agency.register(1)[0]
    item = agency.telemetry(
        bike, location={"lat": 33.881, "lng": 115.761, "horizontal_accuracy": 1.5}
    )
    assert_valid(mds_request_validator("agency", "/telemetry", "post"), [item])
    response = agency.post("/telemetry", [item])
    assert check(response, "/telemetry") == {"success": 1, "total": 1, "failures": []}
    assert agency.post("/telemetry", [item]).json()["success"] == 1
    assert Telemetry.objects.count() == 1
    bike.refresh_from_db()
    assert (bike.lat, bike.lng, bike.accuracy_m) == (33.881, 115.761, 1.5)


def test_trips_are_stored(agency: Agency) -> None:
    bike = agency.register(1)[0]
    trip = agency.trip(bike)
    assert_valid(mds_request_validator("agency", "/trips", "post"), [trip])
    response = agency.post("/trips", [trip])
    assert check(response, "/trips") == {"success": 1, "total": 1, "failures": []}
    backwards = dict(trip, trip_id=str(uuid.uuid4()), end_time=trip["start_time"] - 1)
    body = agency.post("/trips", [backwards]).json()
    assert body["failures"][0]["error_details"] == ["end_time"]
    assert Trip.objects.count() == 1


def test_an_operator_cannot_reuse_another_operators_event_id(
    agency: Agency, other_agency: Agency
) -> None:
    mine = agency.register(1)[0]
    theirs = other_agency.register(1)[0]
    item = other_agency.event(theirs)
    assert other_agency.post("/events", [item]).json()["success"] == 1
    stolen = agency.event(mine, event_id=item["event_id"])
    body = agency.post("/events", [stolen]).json()
    assert body["success"] == 0
    assert body["failures"][0]["error_details"] == ["event_id"]


def test_a_changed_city_boundary_applies_to_the_next_batch(agency: Agency) -> None:
    """The boundary is cached between batches, but an edit in the admin takes effect at once."""
    from nuanxin.orgs.models import Bureau
    from tests.mds.conftest import box

    bike = agency.register(1)[0]
    east = {"lat": 33.86, "lng": 115.84}
    assert agency.post("/events", [agency.event(bike, location=east)]).json()["success"] == 1

    Bureau.objects.update(boundary=box(115.70, 33.80, 115.78, 33.90))  # the east end leaves
    refused = agency.post("/events", [agency.event(bike, location=east)]).json()
    assert refused["success"] == 0
    assert refused["failures"][0]["error_details"] == ["location: outside the city boundary"]

    Bureau.objects.update(boundary=None)  # no boundary: nothing is outside
    assert agency.post("/events", [agency.event(bike, location=east)]).json()["success"] == 1


def test_a_bike_that_moved_on_after_the_look_up_keeps_its_newer_position(
    agency: Agency,
) -> None:
    """The state advance decides from the times it looked up before the transaction. When a
    bike's position changed in between (another batch), the combined write misses that row
    and each part runs again under its own guard: nothing newer is overwritten, and the
    batch's other bikes still advance."""
    moved_on, other = agency.register(2)
    now = timezone.now()
    Bike.objects.filter(pk=moved_on.pk).update(lat=33.869, lng=115.751, position_at=now)
    at = now - timedelta(minutes=1)
    looked_up_before = (None, None)  # what the batch saw: no state or position on record
    latest = {
        bike.pk: ("available", ["trip_end"], at, lat, 115.75, 2.0, None, *looked_up_before)
        for bike, lat in ((moved_on, 33.87), (other, 33.871))
    }
    with transaction.atomic():
        advance_state_prepare(latest).run()

    moved_on.refresh_from_db()
    other.refresh_from_db()
    assert (moved_on.lat, moved_on.lng, moved_on.vehicle_state) == (33.869, 115.751, "available")
    assert (other.lat, other.lng, other.vehicle_state) == (33.871, 115.75, "available")


def test_the_city_boundary_check_answers_plain_bools(agency: Agency) -> None:
    """Its callers index, compare and serialise the answers; numpy scalars are not bools."""
    from nuanxin.mds.ingest.common import CityBoundary
    from nuanxin.orgs.models import Bureau
    from tests.mds.conftest import box

    Bureau.objects.update(boundary=box(115.70, 33.80, 115.78, 33.90))
    answers = CityBoundary.inside([33.85, 33.86], [115.75, 115.84])
    assert answers == [True, False]
    assert all(type(a) is bool for a in answers)
