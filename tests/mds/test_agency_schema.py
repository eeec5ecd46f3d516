"""Agency items against the official MDS 2.0 schema: the optional fields of trips, events and
telemetry are checked as the schema defines them, an item using all of them (valid against
the official request schema) is stored, and the enumerations the item checks copy from the
schema files are still the files' own."""

from __future__ import annotations

import math
import uuid
from typing import Any

import pytest
import yaml

from nuanxin.mds import validate as v
from nuanxin.mds.models import MdsEvent, Telemetry, Trip
from tests.mds.conftest import Agency, now_ms
from tests.mds.schemas import assert_valid, mds_request_validator, schema_root


def model(path: str) -> Any:
    return yaml.safe_load((schema_root() / "mds-2.0" / "models" / path).read_text("utf-8"))


def test_the_enumerations_copied_in_validate_are_the_schema_files_own() -> None:
    micro_trip = model("modes/micromobility/trip.yaml")["properties"]["trip_type"]
    assert set(micro_trip["items"]["enum"]) == v.TRIP_TYPES
    assert micro_trip["maxItems"] == 1
    trip = model("trip.yaml")["allOf"][0]["properties"]
    assert set(trip["parking_category"]["enum"]) == v.PARKING_CATEGORIES
    access = model("modes/micromobility/accessibility-attributes.yaml")
    assert set(access["items"]["enum"]) == v.ACCESSIBILITY_ATTRIBUTES
    telemetry = model("telemetry.yaml")["properties"]
    assert set(telemetry["location_type"]["enum"]) == v.LOCATION_TYPES
    assert f"^{v.CURRENCY_RE.pattern}$" == model("data-types/currency.yaml")["pattern"]
    gps = model("data-types/gps.yaml")["properties"]
    numbers = {k for k, p in gps.items() if p.get("type") == "number"}
    assert numbers == {*v.LOCATION_NUMBERS, "lat", "lng", "horizontal_accuracy"}
    states = {
        branch["properties"]["vehicle_state"]["const"]: set(
            branch["properties"]["event_types"]["items"]["enum"]
        )
        for branch in model("modes/micromobility/event.yaml")["oneOf"]
    }
    assert states == v.STATE_EVENTS


def full_trip(agency: Agency, bike: Any) -> dict[str, Any]:
    return agency.trip(
        bike,
        data_provider_id=str(uuid.uuid4()),
        trip_type=["rider"],
        trip_attributes={"app_version": "3.2"},
        fare_attributes={"payment_type": "account"},
        publication_time=now_ms() - 500,
        accessibility_attributes=["adaptive"],
        parking_verification_url="https://data.provider.example/parking/1234.jpg",
        parking_category="rack",
        standard_cost=150,
        actual_cost=120,
        currency="CNY",
        start_location={"lat": 33.86, "lng": 115.74, "altitude": 38.5, "satellites": 9},
        end_location={"lat": 33.87, "lng": 115.75, "heading": 271.5, "speed": 0.0},
    )


def test_a_trip_with_every_optional_field_is_valid_and_stored_whole(agency: Agency) -> None:
    bike = agency.register(1)[0]
    trip = full_trip(agency, bike)
    assert_valid(mds_request_validator("agency", "/trips", "post"), [trip])
    response = agency.post("/trips", [trip])
    assert response.json() == {"success": 1, "total": 1, "failures": []}
    stored = Trip.objects.get(trip_id=trip["trip_id"])
    assert stored.payload["parking_category"] == "rack"
    assert stored.payload["trip_type"] == ["rider"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("trip_type", "rider"),  # an array in MDS
        ("trip_type", ["flying"]),
        ("trip_type", ["rider", "rebalance"]),  # micromobility: at most one
        ("trip_type", ["rider", "rider"]),
        ("parking_category", "nowhere"),
        ("publication_time", "x"),
        ("standard_cost", "x"),
        ("standard_cost", -1),
        ("actual_cost", 1.5),
        ("currency", 5),
        ("currency", "yuan"),
        ("accessibility_attributes", ["wheelchair"]),
        ("parking_verification_url", "not a url"),
        ("trip_attributes", "x"),
        ("data_provider_id", "x"),
    ],
)
def test_a_trip_field_outside_the_schema_is_refused_by_name(
    agency: Agency, field: str, value: Any
) -> None:
    good_bike, bike = agency.register(2)
    good = full_trip(agency, good_bike)
    wrong = dict(full_trip(agency, bike), **{field: value})
    body = agency.post("/trips", [good, wrong]).json()
    assert body["success"] == 1
    [failure] = body["failures"]
    assert (failure["error"], failure["error_details"]) == ("bad_param", [field])
    assert not Trip.objects.filter(trip_id=wrong["trip_id"]).exists()


@pytest.mark.parametrize("endpoint", ["/events", "/telemetry", "/trips"])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("altitude", "x"),
        ("heading", [1]),
        ("speed", True),
        ("vertical_accuracy", {"m": 1}),
        ("satellites", 2.5),
        ("satellites", -1),
    ],
)
def test_a_location_number_of_the_wrong_type_is_refused(
    agency: Agency, endpoint: str, field: str, value: Any
) -> None:
    good_bike, bike = agency.register(2)
    build = {"/events": agency.event, "/telemetry": agency.telemetry, "/trips": agency.trip}
    key = "end_location" if endpoint == "/trips" else "location"
    wrong = build[endpoint](bike)
    wrong[key] = {"lat": 33.87, "lng": 115.75, field: value}
    body = agency.post(endpoint, [build[endpoint](good_bike), wrong]).json()
    assert body["success"] == 1
    [failure] = body["failures"]
    assert (failure["error"], failure["error_details"]) == ("bad_param", [f"{key}.{field}"])


def test_events_and_telemetry_with_every_optional_field_are_valid_and_stored(
    agency: Agency,
) -> None:
    bike = agency.register(1)[0]
    location = {
        "lat": 33.87,
        "lng": 115.75,
        "horizontal_accuracy": 2.0,
        "altitude": 38.5,
        "heading": 90.0,
        "speed": 0.0,
        "vertical_accuracy": 4.0,
        "satellites": 11,
    }
    event = agency.event(
        bike,
        data_provider_id=str(uuid.uuid4()),
        publication_time=now_ms() - 500,
        event_geographies=[str(uuid.uuid4())],
        battery_percent=80,
        fuel_percent=0,
        associated_ticket="NX202611010000001",
        location=location,
    )
    point = agency.telemetry(
        bike,
        data_provider_id=str(uuid.uuid4()),
        stop_id=str(uuid.uuid4()),
        location_type="sidewalk",
        battery_percent=80,
        fuel_percent=0,
        tipped_over=False,
        location=location,
    )
    assert_valid(mds_request_validator("agency", "/events", "post"), [event])
    assert_valid(mds_request_validator("agency", "/telemetry", "post"), [point])
    assert agency.post("/events", [event]).json()["success"] == 1
    assert agency.post("/telemetry", [point]).json()["success"] == 1
    stored = MdsEvent.objects.get(event_id=event["event_id"])
    assert stored.payload["event_geographies"] == event["event_geographies"]
    assert Telemetry.objects.get(telemetry_id=point["telemetry_id"]).payload["tipped_over"] is False


def test_an_event_without_location_needs_valid_event_geographies(agency: Agency) -> None:
    bike = agency.register(1)[0]
    items = []
    for geographies in (["not-a-uuid"], "x", {"a": 1}):
        item = agency.event(bike, event_geographies=geographies)
        item.pop("location")
        items.append(item)
    body = agency.post("/events", items).json()
    assert body["success"] == 0
    assert [f["error_details"] for f in body["failures"]] == [["event_geographies"]] * 3
    assert MdsEvent.objects.count() == 0


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 10**400, -(10**400)])
def test_numbers_only_pythons_json_reads_are_refused_not_raised(value: Any) -> None:
    """The pull reads providers' bodies with Python's json, which accepts NaN and Infinity
    and integers of any size: each is that item's bad_param, never an exception."""
    item = {"timestamp": value, "location": {"lat": 33.87, "lng": 115.75, "altitude": value}}
    for check in (
        lambda: v.as_number(value, "location.lat", -90, 90),
        lambda: v.as_timestamp(item, "timestamp", max_ms=now_ms()),
        lambda: v.as_location(item, "location", required=True),
        lambda: v.as_int({"n": value}, "n", required=True),
    ):
        with pytest.raises(v.ItemError) as refused:
            check()
        assert refused.value.error == "bad_param"
