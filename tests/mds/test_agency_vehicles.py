from __future__ import annotations

import uuid
from typing import Any

from nuanxin.bikes.models import Bike
from tests.mds.conftest import Agency
from tests.mds.schemas import assert_valid, mds_request_validator, mds_response_validator


def check(response: Any, path: str, method: str) -> dict:
    body = response.json()
    assert_valid(mds_response_validator("agency", path, method, response.status_code), body)
    return body


def test_register_vehicles_with_valid_plates(agency: Agency) -> None:
    items = [agency.vehicle(1), agency.vehicle(2, propulsion_types=["electric_assist"])]
    assert_valid(mds_request_validator("agency", "/vehicles", "post"), items)
    response = agency.post("/vehicles", items)
    assert response.status_code == 201
    assert check(response, "/vehicles", "post") == {"success": 2, "total": 2, "failures": []}
    bike = Bike.objects.get(device_id=items[0]["device_id"])
    assert bike.plate == "亳Q0000001" and bike.operator == agency.operator


def test_plates_are_validated_and_unique_city_wide(agency: Agency, other_agency: Agency) -> None:
    agency.register(1)
    items = [
        agency.vehicle(2, vehicle_id="京Q0000002"),  # wrong city prefix
        agency.vehicle(3, vehicle_id="亳H0000003"),  # another operator's letter
        agency.vehicle(4, vehicle_id="亳Q12"),  # too short
        agency.vehicle(1),  # plate already used
        agency.vehicle(5, vehicle_type="spaceship"),
    ]
    response = agency.post("/vehicles", items)
    assert response.status_code == 400
    errors = [(f["error"], f["error_details"]) for f in response.json()["failures"]]
    assert errors == [
        ("bad_param", ["vehicle_id"]),
        ("bad_param", ["vehicle_id"]),
        ("bad_param", ["vehicle_id"]),
        ("already_registered", ["vehicle_id"]),
        ("bad_param", ["vehicle_type"]),
    ]
    assert "亳" in response.json()["failures"][0]["error_description"]
    assert Bike.objects.count() == 1


def test_registering_the_same_device_twice_is_409(agency: Agency) -> None:
    item = agency.vehicle(1)
    agency.post("/vehicles", [item])
    response = agency.post("/vehicles", [dict(item, vehicle_id="亳Q0000009")])
    assert response.status_code == 409
    body = check(response, "/vehicles", "post")
    assert body["failures"][0]["error"] == "already_registered"


def test_registration_beyond_the_quota_is_refused(agency: Agency) -> None:
    agency.operator.quota = 3
    agency.operator.save(update_fields=["quota"])
    response = agency.post("/vehicles", [agency.vehicle(i) for i in range(1, 6)])
    assert response.status_code == 201
    body = response.json()
    assert body["success"] == 3
    assert [f["error_details"] for f in body["failures"]] == [["quota_exceeded"]] * 2
    assert "配额" in body["failures"][0]["error_description"]
    assert Bike.objects.filter(operator=agency.operator).count() == 3
    again = agency.post("/vehicles", [agency.vehicle(9)])
    assert again.status_code == 400
    check(again, "/vehicles", "post")


def test_put_updates_only_own_bikes(agency: Agency, other_agency: Agency) -> None:
    bike = agency.register(1)[0]
    theirs = other_agency.register(1)[0]
    change = agency.vehicle(7, device_id=str(bike.device_id))
    response = agency.call("put", "/vehicles", [change])
    assert response.status_code == 200
    assert check(response, "/vehicles", "put")["success"] == 1
    bike.refresh_from_db()
    assert bike.plate == "亳Q0000007"
    steal = agency.vehicle(8, device_id=str(theirs.device_id))
    response = agency.call("put", "/vehicles", [steal])
    assert response.status_code == 404
    assert response.json()["failures"][0]["error"] == "unregistered"
    theirs.refresh_from_db()
    assert theirs.plate == "亳H0000001"


def test_get_vehicle_and_status_follow_the_schema_and_hide_other_operators(
    agency: Agency, other_agency: Agency
) -> None:
    bike = agency.register(1)[0]
    theirs = other_agency.register(1)[0]
    response = agency.call("get", f"/vehicles/{bike.device_id}")
    assert response.status_code == 200
    body = check(response, "/vehicles/{device_id}", "get")
    assert body["vehicles"][0]["vehicle_id"] == bike.plate
    assert agency.call("get", f"/vehicles/{theirs.device_id}").status_code == 404
    assert agency.call("get", f"/vehicles/{uuid.uuid4()}").status_code == 404
    assert agency.call("get", "/vehicles/not-a-uuid").status_code == 400
    listing = agency.call("get", "/vehicles")
    body = check(listing, "/vehicles", "get")
    assert [v["device_id"] for v in body["vehicles"]] == [str(bike.device_id)]

    assert agency.call("get", f"/vehicles/status/{bike.device_id}").status_code == 404
    agency.post("/events", [agency.event(bike, battery_percent=80)])
    agency.post(
        "/telemetry",
        [agency.telemetry(bike, location={"lat": 33.87, "lng": 115.75, "altitude": 30})],
    )
    status = agency.call("get", f"/vehicles/status/{bike.device_id}")
    assert status.status_code == 200
    body = check(status, "/vehicles/status/{device_id}", "get")
    assert body["vehicles_status"][0]["last_telemetry"]["location"]["altitude"] == 30
    assert body["vehicles_status"][0]["last_event"]["battery_percent"] == 80
    check(agency.call("get", "/vehicles/status"), "/vehicles/status", "get")
    assert agency.call("get", f"/vehicles/status/{theirs.device_id}").status_code == 404
