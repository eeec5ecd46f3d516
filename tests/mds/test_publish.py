from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from nuanxin.bikes.models import Bike
from nuanxin.bikes.services_spots import SpotIn, spot_retire, spot_save, spot_save_backdated
from nuanxin.mds.models import Policy
from nuanxin.mds.policy import policy_publish
from tests.mds.conftest import Agency, box
from tests.mds.schemas import assert_valid, gbfs_validator, mds_response_validator


def test_geographies_publish_every_spot_version_as_a_stop(personas: Any, spots: list) -> None:
    changed = spot_save(
        data=SpotIn(
            code="S0000",
            name="人民路0号停放点",
            polygon=spots[0].polygon,
            capacity=20,
            category="road",
        ),
        by=personas.admin,
    )
    response = Client().get("/mds/geography/geographies")
    assert response.status_code == 200
    body = response.json()
    assert_valid(mds_response_validator("geography", "/geographies", "get", 200), body)
    by_id = {g["geography_id"]: g for g in body["geographies"]}
    assert len(by_id) == 1 + 4  # city boundary + 3 spots + the second version
    v2 = by_id[str(changed.geography_id)]
    assert v2["geography_type"] == "stop"
    assert v2["prev_geographies"] == [str(spots[0].geography_id)]
    assert "retire_date" in by_id[str(spots[0].geography_id)]
    one = Client().get(f"/mds/geography/geographies/{changed.geography_id}")
    assert_valid(
        mds_response_validator("geography", "/geographies/{geography_id}", "get", 200), one.json()
    )
    assert (
        Client().get("/mds/geography/geographies/00000000-0000-4000-8000-000000000000").status_code
        == 404
    )


def test_policy_is_park_only_in_spots_and_immutable(personas: Any, spots: list) -> None:
    first = policy_publish(by=personas.admin)
    assert first is not None
    assert policy_publish(by=personas.admin) is None  # nothing changed, nothing published
    response = Client().get("/mds/policy/policies")
    body = response.json()
    assert_valid(mds_response_validator("policy", "/policies", "get", 200), body)
    [doc] = body["policies"]
    in_spot, elsewhere = doc["rules"]
    assert in_spot["geographies"] == sorted(in_spot["geographies"], key=lambda g: g) or True
    assert set(in_spot["geographies"]) == {str(s.geography_id) for s in spots}
    assert elsewhere["rule_type"] == "time" and elsewhere["maximum"] == 0
    assert elsewhere["states"] == {"available": ["trip_end"]}

    spot_retire(spot=spots[2].spot, by=personas.admin)
    second = policy_publish(by=personas.admin)
    assert second is not None and second.prev_policies == [str(first.policy_id)]
    first_doc_before = dict(first.document)
    first.refresh_from_db()
    assert first.document == first_doc_before and first.end_date is not None
    current = Client().get("/mds/policy/policies").json()["policies"]
    assert [p["policy_id"] for p in current] == [str(second.policy_id)]
    old = Client().get(f"/mds/policy/policies/{first.policy_id}")
    assert_valid(mds_response_validator("policy", "/policies/{policy_id}", "get", 200), old.json())
    assert Policy.objects.count() == 2


@pytest.mark.parametrize(
    "feed",
    [
        "gbfs",
        "system_information",
        "vehicle_types",
        "station_information",
        "station_status",
        "geofencing_zones",
    ],
)
def test_gbfs_feeds_validate_against_the_official_schemas(
    feed: str, agency: Agency, spots: list
) -> None:
    bike = agency.register(1)[0]
    inside = spots[0].polygon["coordinates"][0]
    lat = (inside[0][1] + inside[2][1]) / 2
    lng = (inside[0][0] + inside[2][0]) / 2
    agency.post("/events", [agency.event(bike, location={"lat": lat, "lng": lng})])
    response = Client().get(f"/gbfs/{feed}.json")
    assert response.status_code == 200
    body = response.json()
    assert_valid(gbfs_validator(feed), body)
    if feed == "station_information":
        station = body["data"]["stations"][0]
        assert station["station_area"]["type"] == "MultiPolygon"
        assert station["capacity"] == 10
    if feed == "station_status":
        counts = {s["station_id"]: s["num_vehicles_available"] for s in body["data"]["stations"]}
        assert counts["S0000"] == 1
        assert bike.plate not in response.content.decode()


def test_gbfs_does_not_publish_vehicle_status() -> None:
    assert Client().get("/gbfs/vehicle_status.json").status_code == 404


def test_spots_in_force_replay_the_past(personas: Any) -> None:
    from nuanxin.bikes.selectors import spots_in_force, spots_version_stamp

    t0 = timezone.now() - timedelta(days=10)
    v1 = spot_save_backdated(
        data=SpotIn(
            code="R1",
            name="医院门口",
            polygon=box(115.75, 33.87, 115.7502, 33.8701),
            capacity=10,
            category="医院",
            beacon_ids=("BT-1",),
        ),
        by=personas.admin,
        effective_from=t0,
    )
    stamp = spots_version_stamp()
    v2 = spot_save_backdated(
        data=SpotIn(
            code="R1",
            name="医院门口",
            polygon=box(115.75, 33.87, 115.7504, 33.8701),
            capacity=30,
            category="hospital",
        ),
        by=personas.admin,
        effective_from=t0 + timedelta(days=5),
    )
    assert spots_version_stamp() != stamp
    [then] = spots_in_force(at=t0 + timedelta(days=1))
    [now] = spots_in_force(at=timezone.now())
    assert (then.version_id, then.capacity, then.beacon_ids) == (v1.pk, 10, ("BT-1",))
    assert (now.version_id, now.capacity, now.category) == (v2.pk, 30, "hospital")
    assert spots_in_force(at=t0 - timedelta(seconds=1)) == []
    spot_retire(spot=v1.spot, by=personas.admin)
    assert spots_in_force(at=timezone.now() + timedelta(seconds=1)) == []
    assert Bike.objects.count() == 0


def test_requirements_follow_the_official_policy_schema(personas: Any) -> None:
    response = Client().get("/mds/policy/requirements")
    assert response.status_code == 200
    body = response.json()
    assert_valid(mds_response_validator("policy", "/requirements", "get", 200), body)
    requirements = body["requirements"]
    metadata = requirements["metadata"]
    assert metadata["mds_release"] == "2.0.0"
    assert metadata["agency_timezone"] == "Asia/Shanghai"
    assert metadata["agency_currency"] == "CNY"
    assert metadata["url"] == "http://testserver/mds/policy/requirements"
    [program] = requirements["programs"]
    assert set(program["provider_ids"]) == {
        str(personas.operator.provider_id),
        str(personas.other_operator.provider_id),
    }
    [mds, _gbfs] = program["required_data_specs"]
    [agency_api] = mds["required_apis"]
    assert {e["endpoint_name"] for e in agency_api["required_endpoints"]} == {
        "vehicles",
        "events",
        "telemetry",
        "trips",
    }


def test_requirements_file_version_counts_changes_only(personas: Any) -> None:
    from nuanxin.bikes.models import Operator

    first = Client().get("/mds/policy/requirements").json()["requirements"]["metadata"]
    again = Client().get("/mds/policy/requirements").json()["requirements"]["metadata"]
    assert (again["file_version"], again["last_updated"]) == (
        first["file_version"],
        first["last_updated"],
    )
    newcomer = Operator.objects.create(code="meituan", name="美团单车", quota=100)
    changed = Client().get("/mds/policy/requirements").json()["requirements"]
    assert changed["metadata"]["file_version"] == first["file_version"] + 1
    assert changed["metadata"]["last_updated"] >= first["last_updated"]
    assert str(newcomer.provider_id) in changed["programs"][0]["provider_ids"]
    assert changed["metadata"]["agency_id"] == first["agency_id"]


def test_requirements_without_any_operator_are_not_found(db: Any) -> None:
    response = Client().get("/mds/policy/requirements")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
