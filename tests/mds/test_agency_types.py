"""Every field of every Agency item, sent with every wrong JSON type: never a 500, the item
refused with its own MDS error naming the field, the batch's good item stored anyway. An
item that is accepted (a value of a type the field allows) must be valid against the
official request schema, with fields sent as null read as absent (as the item checks read
them)."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from nuanxin.bikes.models import Bike
from nuanxin.mds.models import MdsEvent, Telemetry, Trip
from tests.mds.conftest import Agency
from tests.mds.schemas import assert_valid, mds_request_validator

WRONG: dict[str, Any] = {
    "list": ["x"],
    "nested_list": [["x"]],
    "list_of_objects": [{"a": 1}],
    "list_of_null": [None],
    "list_of_numbers": [5],
    "object": {"a": 1},
    "integer": 5,
    "negative": -1,
    "float": 1.5,
    "huge": 2**53,  # an integer column overflows on PostgreSQL
    "large_float": 1e308,
    "true": True,
    "false": False,
    "null": None,
    "string": "x",
    "empty_string": "",
}

LOCATION_FIELDS = [
    "lat",
    "lng",
    "horizontal_accuracy",
    "altitude",
    "heading",
    "speed",
    "vertical_accuracy",
    "satellites",
]

EVENT_FIELDS = [
    "event_id",
    "device_id",
    "provider_id",
    "data_provider_id",
    "vehicle_state",
    "event_types",
    "timestamp",
    "publication_time",
    "location",
    *(f"location.{k}" for k in LOCATION_FIELDS),
    "event_geographies",
    "battery_percent",
    "fuel_percent",
    "trip_ids",
    "associated_ticket",
    "beacon_ids",
]
TELEMETRY_FIELDS = [
    "telemetry_id",
    "device_id",
    "provider_id",
    "data_provider_id",
    "timestamp",
    "trip_ids",
    "journey_id",
    "stop_id",
    "location",
    *(f"location.{k}" for k in LOCATION_FIELDS),
    "location_type",
    "battery_percent",
    "fuel_percent",
    "tipped_over",
    "beacon_ids",
]
TRIP_FIELDS = [
    "trip_id",
    "device_id",
    "provider_id",
    "data_provider_id",
    "trip_type",
    "trip_attributes",
    "fare_attributes",
    "start_time",
    "end_time",
    "start_location",
    *(f"start_location.{k}" for k in LOCATION_FIELDS),
    "end_location",
    *(f"end_location.{k}" for k in LOCATION_FIELDS),
    "duration",
    "distance",
    "publication_time",
    "accessibility_attributes",
    "parking_verification_url",
    "parking_category",
    "standard_cost",
    "actual_cost",
    "currency",
]
VEHICLE_FIELDS = [
    "device_id",
    "provider_id",
    "vehicle_id",
    "vehicle_type",
    "propulsion_types",
    "battery_capacity",
    "maximum_speed",
]


def with_value(item: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(item)
    head, _dot, leaf = path.partition(".")
    if leaf:
        out.setdefault(head, {})[leaf] = value
    else:
        out[head] = value
    return out


def without(item: dict[str, Any], path: str) -> dict[str, Any]:
    out = copy.deepcopy(item)
    head, _dot, leaf = path.partition(".")
    if leaf:
        out[head].pop(leaf)
    else:
        out.pop(head)
    return out


def related(field: str, path: str) -> bool:
    """`field` is `path`, a field inside it, or the object holding it (a location with a
    number of the right type outside the city is refused as a whole)."""
    return field == path or field.startswith(f"{path}.") or path.startswith(f"{field}.")


def assert_each_refused_or_valid(
    body: dict[str, Any],
    variants: dict[str, dict[str, Any]],
    path: str,
    endpoint: str,
    method: str,
) -> None:
    """Each variant is refused with bad_param / missing_param naming `path` (see `related`),
    or accepted and valid against the official request schema (a field sent as null
    read as absent)."""
    validator = mds_request_validator("agency", endpoint, method)
    for name, item in variants.items():
        failure = next((f for f in body["failures"] if f["item"] == item), None)
        if failure is None:
            if WRONG[name] is None and not validator.is_valid([item]):
                item = without(item, path)
            assert_valid(validator, [item])
            continue
        assert failure["error"] in ("bad_param", "missing_param"), (name, failure)
        fields = [d.partition(":")[0] for d in failure["error_details"]]
        assert fields and all(related(f, path) for f in fields), (name, failure)
        assert failure["error_description"], (name, failure)


def post_variants(
    agency: Agency,
    endpoint: str,
    good: dict[str, Any],
    path: str,
    make: Callable[[], dict[str, Any]],
    id_key: str,
    method: str = "post",
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    variants = {}
    for name, value in WRONG.items():
        item = with_value(make(), path, value)
        if path != id_key and id_key in item:
            item[id_key] = str(uuid.uuid4())
        variants[name] = item
    response = agency.call(method, endpoint, [good, *variants.values()])
    assert response.status_code in (200, 201), response.content
    assert response["Content-Type"].startswith("application/vnd.mds+json")
    body = response.json()
    assert body["total"] == 1 + len(variants)
    assert body["success"] >= 1, body["failures"][:2]
    assert all(f["item"] != good for f in body["failures"])
    return body, variants


@pytest.mark.parametrize("path", EVENT_FIELDS)
def test_event_fields_of_the_wrong_type_are_refused_one_by_one(agency: Agency, path: str) -> None:
    good_bike, bike = agency.register(2)
    good = agency.event(good_bike)
    body, variants = post_variants(
        agency, "/events", good, path, lambda: agency.event(bike), "event_id"
    )
    assert_each_refused_or_valid(body, variants, path, "/events", "post")
    assert MdsEvent.objects.filter(event_id=good["event_id"]).exists()


@pytest.mark.parametrize("path", TELEMETRY_FIELDS)
def test_telemetry_fields_of_the_wrong_type_are_refused_one_by_one(
    agency: Agency, path: str
) -> None:
    good_bike, bike = agency.register(2)
    good = agency.telemetry(good_bike)
    body, variants = post_variants(
        agency, "/telemetry", good, path, lambda: agency.telemetry(bike), "telemetry_id"
    )
    assert_each_refused_or_valid(body, variants, path, "/telemetry", "post")
    assert Telemetry.objects.filter(telemetry_id=good["telemetry_id"]).exists()


@pytest.mark.parametrize("path", TRIP_FIELDS)
def test_trip_fields_of_the_wrong_type_are_refused_one_by_one(agency: Agency, path: str) -> None:
    good_bike, bike = agency.register(2)
    good = agency.trip(good_bike)
    body, variants = post_variants(
        agency, "/trips", good, path, lambda: agency.trip(bike), "trip_id"
    )
    assert_each_refused_or_valid(body, variants, path, "/trips", "post")
    assert Trip.objects.filter(trip_id=good["trip_id"]).exists()


@pytest.mark.parametrize("path", VEHICLE_FIELDS)
def test_vehicle_fields_of_the_wrong_type_are_refused_on_post(agency: Agency, path: str) -> None:
    plates = iter(range(100, 200))
    good = agency.vehicle(1)
    body, variants = post_variants(
        agency, "/vehicles", good, path, lambda: agency.vehicle(next(plates)), "device_id"
    )
    assert_each_refused_or_valid(body, variants, path, "/vehicles", "post")
    assert Bike.objects.filter(device_id=good["device_id"]).exists()


@pytest.mark.parametrize("path", VEHICLE_FIELDS)
def test_vehicle_fields_of_the_wrong_type_are_refused_on_put(agency: Agency, path: str) -> None:
    bikes = agency.register(1 + len(WRONG))
    own = iter(bikes[1:])

    def registered() -> dict[str, Any]:
        bike = next(own)
        return agency.vehicle(
            int(bike.plate[2:]), device_id=str(bike.device_id), battery_capacity=500
        )

    good = agency.vehicle(1, device_id=str(bikes[0].device_id), maximum_speed=25)
    variants: dict[str, dict[str, Any]] = {}
    for name, value in WRONG.items():
        variants[name] = with_value(registered(), path, value)
    response = agency.call("put", "/vehicles", [good, *variants.values()])
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] >= 1
    # A valid device_id of no bike of ours is `unregistered`, not a type error: none here.
    assert_each_refused_or_valid(body, variants, path, "/vehicles", "put")
    assert Bike.objects.get(pk=bikes[0].pk).maximum_speed == 25


def test_the_reported_crashes_are_item_errors(agency: Agency) -> None:
    """The auditor's reproductions, verbatim."""
    good_bike, bike = agency.register(2)
    good = agency.event(good_bike)
    items = [
        good,
        agency.event(bike, vehicle_state=["available"]),
        agency.event(bike, vehicle_state={"a": 1}),
        agency.event(bike, event_types=[["trip_end"]]),
        agency.event(bike, event_types=[{"a": 1}]),
        agency.event(bike, battery_percent=True),
    ]
    body = agency.post("/events", items).json()
    assert body["success"] == 1
    assert [(f["error"], f["error_details"]) for f in body["failures"]] == [
        ("bad_param", ["vehicle_state"]),
        ("bad_param", ["vehicle_state"]),
        ("bad_param", ["event_types"]),
        ("bad_param", ["event_types"]),
        ("bad_param", ["battery_percent"]),
    ]
    for method in ("post", "put"):
        vehicles = [
            agency.vehicle(50, vehicle_type=["bicycle"]),
            agency.vehicle(51, vehicle_type={"a": 1}),
            agency.vehicle(52, propulsion_types=[["human"]]),
            agency.vehicle(53, propulsion_types=["human", "human"]),
        ]
        response = agency.call(method, "/vehicles", vehicles)
        assert response.status_code == 400
        assert [f["error_details"] for f in response.json()["failures"]] == [
            ["vehicle_type"],
            ["vehicle_type"],
            ["propulsion_types"],
            ["propulsion_types"],
        ]
