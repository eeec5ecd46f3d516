"""The compiled fast path for events and telemetry (`nuanxin.mds.validate_fast`) gives exactly what the
item checks give, and hands everything else to them, so that errors never depend on the
path taken."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from nuanxin.mds.ingest.batch import BodyItems
from nuanxin.mds.ingest.events import event_checked, events_ingest
from nuanxin.mds.ingest.telemetry import telemetry_checked
from nuanxin.mds.models import MdsEvent, Telemetry
from nuanxin.mds.validate import ItemError
from nuanxin.mds.validate_fast import (
    event_parsed,
    events_decode,
    telemetry_decode,
    telemetry_parsed,
)
from tests.mds.conftest import Agency, now_ms

PROVIDER = str(uuid.uuid4())
MAX_MS = now_ms() + 60_000


class _Operator:
    provider_id = uuid.UUID(PROVIDER)
    provider_id_text = PROVIDER


def event(**extra: Any) -> dict[str, Any]:
    item = {
        "event_id": str(uuid.uuid4()),
        "device_id": str(uuid.uuid4()),
        "provider_id": PROVIDER,
        "vehicle_state": "available",
        "event_types": ["trip_end"],
        "timestamp": now_ms() - 1000,
        "location": {"lat": 33.87, "lng": 115.75, "horizontal_accuracy": 3.0},
        "trip_ids": [str(uuid.uuid4())],
    }
    item.update(extra)
    return item


def fast(item: dict[str, Any]) -> tuple | None:
    decoded = events_decode(json.dumps([item]).encode())
    if decoded is None:
        return None
    return event_parsed(decoded[0], provider_id=PROVIDER, max_ms=MAX_MS)


def checked(item: dict[str, Any]) -> tuple | ItemError:
    try:
        return event_checked(item, _Operator(), MAX_MS)  # type: ignore[arg-type]
    except ItemError as exc:
        return exc


TAKEN_FAST = {
    "plain": event(),
    "upper-case ids": event(
        event_id=str(uuid.uuid4()).upper(), device_id=str(uuid.uuid4()).upper()
    ),
    "integer coordinates": event(location={"lat": 34, "lng": 116}),
    "no accuracy": event(location={"lat": 33.8, "lng": 115.7}),
    "all optional fields": event(
        publication_time=now_ms(),
        battery_percent=0,
        associated_ticket="NX-" + "9" * 80,  # stored cut to 64, as the item checks cut it
        beacon_ids=["B-1", "B-2"],
        trip_ids=None,
    ),
    "nulls": event(publication_time=None, battery_percent=None, associated_ticket=None),
    "edge values": event(
        location={"lat": -90, "lng": 180, "horizontal_accuracy": 0}, battery_percent=100
    ),
    "two types": event(vehicle_state="available", event_types=["trip_end", "located"]),
}

LEFT_TO_THE_ITEM_CHECKS = {
    "extra field": event(vendor_extension={"x": 1}),
    "extra location key": event(location={"lat": 33.8, "lng": 115.7, "altitude": 30}),
    "beacons inside location": event(location={"lat": 33.8, "lng": 115.7, "beacon_ids": ["B"]}),
    "geographies, no location": {
        k: v for k, v in event(event_geographies=[str(uuid.uuid4())]).items() if k != "location"
    },
    "float timestamp": event(timestamp=float(now_ms() - 1000)),
    "boolean battery": event(battery_percent=True),
    "battery out of range": event(battery_percent=101),
    "latitude out of range": event(location={"lat": 90.5, "lng": 115.7}),
    "future": event(timestamp=MAX_MS + 1),
    "before 2018": event(timestamp=1_000),
    "future publication": event(publication_time=MAX_MS + 1),
    "type not allowed in state": event(vehicle_state="available", event_types=["trip_start"]),
    "no types": event(event_types=[]),
    "unknown state": event(vehicle_state="parked"),
    "foreign provider": event(provider_id=str(uuid.uuid4())),
    "provider in upper case": event(provider_id=PROVIDER.upper()),
    "id not a uuid": event(event_id="not-a-uuid"),
    "trip id not a uuid": event(trip_ids=["x"]),
    "ticket not text": event(associated_ticket=7),
    "missing state": {k: v for k, v in event().items() if k != "vehicle_state"},
    "null location": event(location=None),
}


@pytest.mark.parametrize("name", sorted(TAKEN_FAST))
def test_the_fast_path_gives_what_the_item_checks_give(name: str) -> None:
    item = TAKEN_FAST[name]
    parsed = fast(item)
    assert parsed is not None, "the fast path should take this item"
    assert parsed == checked(item)
    assert [type(v) for v in parsed] == [type(v) for v in checked(item)]  # type: ignore[union-attr]


@pytest.mark.parametrize("name", sorted(LEFT_TO_THE_ITEM_CHECKS))
def test_anything_else_is_left_to_the_item_checks(name: str) -> None:
    assert fast(LEFT_TO_THE_ITEM_CHECKS[name]) is None


def test_one_undecodable_item_sends_the_whole_batch_to_the_item_checks() -> None:
    body = json.dumps([event(), event(timestamp="yesterday")]).encode()
    assert events_decode(body) is None
    assert events_decode(b'{"not": "a list"}') is None


def test_a_batch_the_fast_path_decodes_still_gets_each_items_own_error(
    agency: Agency, other_agency: Agency
) -> None:
    """Every item below decodes; the fast path takes two and leaves the rest to the item
    checks, whose errors the operator sees, as for any other batch."""
    mine = agency.register(2)
    good = agency.event(mine[0])
    shouted = agency.event(mine[1], event_id=str(uuid.uuid4()).upper())
    items = [
        good,
        dict(good),  # duplicate in the batch
        shouted,
        agency.event(mine[1], timestamp=now_ms() + 3_600_000),
        agency.event(mine[1], vehicle_state="available", event_types=["trip_start"]),
        agency.event(mine[1], provider_id=str(other_agency.operator.provider_id)),
    ]
    assert events_decode(json.dumps(items).encode()) is not None

    response = agency.post("/events", items)

    body = response.json()
    assert response.status_code == 201 and body["success"] == 2 and body["total"] == 6
    assert [f["error_details"] for f in body["failures"]] == [
        ["event_id"],
        ["timestamp"],
        ["event_types"],
        ["provider_id"],
    ]
    stored = MdsEvent.objects.get(event_id=shouted["event_id"].lower())
    assert stored.payload == {} and stored.trip_ids == shouted["trip_ids"]


def test_a_batch_the_fast_path_takes_whole_is_decoded_once(agency: Agency) -> None:
    """Given the body alone (as the Agency view gives it), a batch that fails nothing is not
    decoded into dicts as well: the compiled decode is the only one."""
    bikes = agency.register(2)
    items = [agency.event(bike) for bike in bikes]

    result = events_ingest(operator=agency.operator, body=json.dumps(items).encode())

    assert result.success == 2 and result.failures == []
    assert isinstance(result.items, BodyItems) and not result.items.decoded
    assert MdsEvent.objects.filter(event_id__in=[i["event_id"] for i in items]).count() == 2


def test_items_the_fast_path_took_and_later_steps_refused_are_reported_as_sent(
    agency: Agency, other_agency: Agency
) -> None:
    """Refusals after parsing (outside the city, unregistered, another operator's bike, an
    id another operator stored) quote each item exactly as it was sent, in batch order,
    although the fast path never built their dicts."""
    mine = agency.register(2)
    theirs = other_agency.register(1)[0]
    taken = other_agency.event(theirs)
    assert other_agency.post("/events", [taken]).status_code == 201
    items = [
        agency.event(mine[0]),
        agency.event(mine[1], location={"lat": 31.23, "lng": 121.47}),  # Shanghai
        agency.event(mine[1], device_id=str(uuid.uuid4())),  # unregistered
        agency.event(theirs),
        agency.event(mine[1], event_id=taken["event_id"]),
        agency.event(mine[1], timestamp=now_ms() + 3_600_000),  # left to the item checks
    ]
    assert events_decode(json.dumps(items).encode()) is not None

    body = agency.post("/events", items).json()

    assert body["success"] == 1 and body["total"] == 6
    assert [f["item"] for f in body["failures"]] == items[1:]
    assert [f["error_details"] for f in body["failures"]] == [
        ["location: outside the city boundary"],
        ["device_id"],
        ["device_id: registered to another provider"],
        ["event_id"],
        ["timestamp"],
    ]


def test_extras_are_kept_when_the_item_checks_ran(agency: Agency) -> None:
    bike = agency.register(1)[0]
    item = agency.event(bike, vendor_extension={"lock": "closed"})
    assert agency.post("/events", [item]).status_code == 201
    assert MdsEvent.objects.get(event_id=item["event_id"]).payload == {
        "vendor_extension": {"lock": "closed"}
    }


# --- telemetry ---------------------------------------------------------------------------


def point(**extra: Any) -> dict[str, Any]:
    item = {
        "telemetry_id": str(uuid.uuid4()),
        "device_id": str(uuid.uuid4()),
        "provider_id": PROVIDER,
        "timestamp": now_ms() - 1000,
        "location": {"lat": 33.87, "lng": 115.75, "horizontal_accuracy": 3.0},
    }
    item.update(extra)
    return item


def fast_point(item: dict[str, Any]) -> tuple | None:
    decoded = telemetry_decode(json.dumps([item]).encode())
    if decoded is None:
        return None
    return telemetry_parsed(decoded[0], provider_id=PROVIDER, max_ms=MAX_MS)


def checked_point(item: dict[str, Any]) -> tuple | ItemError:
    try:
        return telemetry_checked(item, _Operator(), MAX_MS)  # type: ignore[arg-type]
    except ItemError as exc:
        return exc


POINTS_TAKEN_FAST = {
    "plain": point(),
    "speed": point(location={"lat": 33.8, "lng": 115.7, "speed": 4}),
    "all optional fields": point(
        trip_ids=[str(uuid.uuid4())],
        journey_id=str(uuid.uuid4()),
        battery_percent=55,
        beacon_ids=["B-9"],
    ),
    "empty trips": point(trip_ids=[]),
    "nulls": point(trip_ids=None, journey_id=None, battery_percent=None, beacon_ids=None),
    "upper-case ids": point(
        telemetry_id=str(uuid.uuid4()).upper(), device_id=str(uuid.uuid4()).upper()
    ),
}

# 36 characters that uuid.UUID() would accept, but not a canonical UUID text.
_HEX = uuid.uuid4().hex
MISPLACED_HYPHENS = "-".join((_HEX[:4], _HEX[4:8], _HEX[8:12], _HEX[12:16], _HEX[16:]))

POINTS_LEFT_TO_THE_ITEM_CHECKS = {
    "extra field": point(vendor={"x": 1}),
    "altitude in location": point(location={"lat": 33.8, "lng": 115.7, "altitude": 3}),
    "speed out of range": point(location={"lat": 33.8, "lng": 115.7, "speed": 1001}),
    "journey not a uuid": point(journey_id="j-1"),
    "trip id not a uuid": point(trip_ids=["t"]),
    "foreign provider": point(provider_id=str(uuid.uuid4())),
    "future": point(timestamp=MAX_MS + 1),
    "no location": {k: v for k, v in point().items() if k != "location"},
    "id with misplaced hyphens": point(telemetry_id=MISPLACED_HYPHENS),
}


@pytest.mark.parametrize("name", sorted(POINTS_TAKEN_FAST))
def test_the_telemetry_fast_path_gives_what_the_item_checks_give(name: str) -> None:
    item = POINTS_TAKEN_FAST[name]
    parsed = fast_point(item)
    assert parsed is not None, "the fast path should take this point"
    assert parsed == checked_point(item)
    assert [type(v) for v in parsed] == [type(v) for v in checked_point(item)]  # type: ignore[union-attr]


@pytest.mark.parametrize("name", sorted(POINTS_LEFT_TO_THE_ITEM_CHECKS))
def test_other_telemetry_is_left_to_the_item_checks(name: str) -> None:
    assert fast_point(POINTS_LEFT_TO_THE_ITEM_CHECKS[name]) is None


def test_telemetry_ids_are_canonical_lower_case_text_or_refused() -> None:
    """Both paths give the ids as the text the events' ids are (no uuid.UUID per point), and
    the item checks refuse what is not a canonical UUID."""
    shouted = POINTS_TAKEN_FAST["upper-case ids"]
    parsed = checked_point(shouted)
    assert isinstance(parsed, tuple)
    assert parsed[:2] == (shouted["telemetry_id"].lower(), shouted["device_id"].lower())
    refused = checked_point(POINTS_LEFT_TO_THE_ITEM_CHECKS["id with misplaced hyphens"])
    assert isinstance(refused, ItemError) and refused.details == ["telemetry_id"]


def test_telemetry_through_the_api_keeps_speed_in_the_payload_and_refuses_as_before(
    agency: Agency,
) -> None:
    """A decodable batch: a plain point (empty payload), a point with speed (kept with its
    location in the payload, as the item checks keep it), and a point from the future
    (the item checks' error)."""
    bike = agency.register(1)[0]
    plain = agency.telemetry(bike)
    with_speed = agency.telemetry(
        bike, location={"lat": 33.87, "lng": 115.75, "horizontal_accuracy": 2.0, "speed": 3.5}
    )
    future = agency.telemetry(bike, timestamp=now_ms() + 3_600_000)
    items = [plain, with_speed, future]
    assert telemetry_decode(json.dumps(items).encode()) is not None

    body = agency.post("/telemetry", items).json()

    assert body["success"] == 2 and [f["error_details"] for f in body["failures"]] == [
        ["timestamp"]
    ]
    assert Telemetry.objects.get(telemetry_id=plain["telemetry_id"]).payload == {}
    stored = Telemetry.objects.get(telemetry_id=with_speed["telemetry_id"])
    assert stored.speed == 3.5 and stored.payload == {"location": with_speed["location"]}


def test_every_column_of_a_stored_event_holds_what_was_sent(agency: Agency) -> None:
    """Ingest builds the INSERT rows by hand, column by column (adapted as they are built):
    each column reads back as the item gave it, on either path."""
    from datetime import UTC, datetime

    bike = agency.register(1)[0]
    full = agency.event(
        bike,
        publication_time=now_ms() - 500,
        battery_percent=67,
        associated_ticket="NX-2026-000001",
        beacon_ids=["BEACON-9"],
        location={"lat": 33.8701, "lng": 115.7502, "horizontal_accuracy": 2.5},
    )
    with_extension = {**agency.event(bike, battery_percent=5), "vendor_extension": 1}
    assert agency.post("/events", [full, with_extension]).json()["success"] == 2
    for item in (full, with_extension):
        stored = MdsEvent.objects.get(event_id=item["event_id"])
        assert (stored.operator_id, stored.bike_id) == (agency.operator.pk, bike.pk)
        assert stored.vehicle_state == item["vehicle_state"]
        assert stored.event_types == item["event_types"]
        assert stored.timestamp == datetime.fromtimestamp(item["timestamp"] / 1000, UTC)
        published = item.get("publication_time")
        assert stored.publication_time == (
            None if published is None else datetime.fromtimestamp(published / 1000, UTC)
        )
        location = item.get("location") or {}
        assert (stored.lat, stored.lng, stored.accuracy_m) == (
            location.get("lat"),
            location.get("lng"),
            location.get("horizontal_accuracy"),
        )
        assert stored.battery_percent == item.get("battery_percent")
        assert stored.trip_ids == item.get("trip_ids", [])
        assert stored.associated_ticket == item.get("associated_ticket", "")
        assert stored.beacon_ids == item.get("beacon_ids", [])
        assert stored.received_at is not None
    assert MdsEvent.objects.get(event_id=full["event_id"]).payload == {}
    assert MdsEvent.objects.get(event_id=with_extension["event_id"]).payload == {
        "vendor_extension": 1
    }
