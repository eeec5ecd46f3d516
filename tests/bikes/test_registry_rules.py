"""The registry's rules as operators meet them over MDS Agency: the quota counts bikes not
decommissioned, plates are judged against a batch's final state, messages in the reader's
language."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import translation

from nuanxin.bikes.models import Bike
from nuanxin.bikes.selectors import operator_fleet_stats
from nuanxin.bikes.services import plate_check
from nuanxin.core.errors import DomainError
from tests.mds.conftest import Agency


def _quota(agency: Agency, quota: int) -> None:
    agency.operator.quota = quota
    agency.operator.save(update_fields=["quota"])


def _removed(agency: Agency, bike: Bike, event_type: str) -> None:
    event = agency.event(bike, vehicle_state="removed", event_types=[event_type])
    event.pop("trip_ids")
    response = agency.post("/events", [event])
    assert response.status_code == 201, response.content


def test_a_decommissioned_bike_frees_its_quota_but_keeps_its_plate(agency: Agency) -> None:
    _quota(agency, 1)
    [old] = agency.register(1)
    refused = agency.post("/vehicles", [agency.vehicle(2)])
    assert refused.status_code == 400
    assert refused.json()["failures"][0]["error_details"] == ["quota_exceeded"]

    _removed(agency, old, "decommissioned")
    assert operator_fleet_stats(operator=agency.operator)["quota_left"] == 1
    [new] = agency.register(1, start=2)
    assert new.plate == "亳Q0000002"
    stats = operator_fleet_stats(operator=agency.operator)
    assert (stats["registered"], stats["decommissioned"], stats["quota_left"]) == (2, 1, 0)

    reused = agency.post("/vehicles", [agency.vehicle(1)])  # the old bike's plate
    assert reused.status_code == 409
    assert reused.json()["failures"][0]["error"] == "already_registered"


def test_a_bike_only_picked_up_still_counts(agency: Agency) -> None:
    _quota(agency, 1)
    [bike] = agency.register(1)
    _removed(agency, bike, "maintenance_pick_up")
    refused = agency.post("/vehicles", [agency.vehicle(2)])
    assert refused.json()["failures"][0]["error_details"] == ["quota_exceeded"]
    assert operator_fleet_stats(operator=agency.operator)["quota_left"] == 0


def test_the_plate_format_error_is_english_for_english_readers(agency: Agency) -> None:
    with translation.override("en"):
        try:
            plate_check(plate="X1", operator=agency.operator)
        except DomainError as exc:
            message = exc.message
    assert message.startswith("Plate X1 has the wrong format")
    assert "Bozhou" in message and "亳Q0000001" in message
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in message.replace("亳", ""))
    response = agency.client.post(
        "/mds/agency/vehicles",
        data=[agency.vehicle(1, vehicle_id="X1")],
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {agency.token}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    description = response.json()["failures"][0]["error_description"]
    assert "wrong format" in description and "一车一牌" not in description
    with translation.override("zh-hans"):
        try:
            plate_check(plate="X1", operator=agency.operator)
        except DomainError as exc:
            assert "一车一牌" in exc.message


def _put(agency: Agency, items: list[dict]) -> Any:
    return agency.call("put", "/vehicles", items)


def test_two_of_an_operators_bikes_can_swap_plates_in_one_batch(agency: Agency) -> None:
    a, b = sorted(agency.register(2), key=lambda bike: bike.plate)
    response = _put(
        agency,
        [
            agency.vehicle(2, device_id=str(a.device_id)),
            agency.vehicle(1, device_id=str(b.device_id)),
        ],
    )
    assert response.status_code == 200, response.content
    assert response.json()["success"] == 2
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.plate, b.plate) == ("亳Q0000002", "亳Q0000001")


def test_a_chain_of_plate_moves_and_a_freed_plate_are_judged_on_the_final_state(
    agency: Agency,
) -> None:
    a, b, c = sorted(agency.register(3), key=lambda bike: bike.plate)
    response = _put(
        agency,
        [
            agency.vehicle(4, device_id=str(c.device_id)),  # 3 → 4 frees 3
            agency.vehicle(3, device_id=str(b.device_id)),  # 2 → 3 frees 2
            agency.vehicle(2, device_id=str(a.device_id)),  # 1 → 2
        ],
    )
    assert response.json()["success"] == 3
    assert sorted(Bike.objects.values_list("plate", flat=True)) == [
        "亳Q0000002",
        "亳Q0000003",
        "亳Q0000004",
    ]


def test_a_plate_clash_on_put_is_already_registered_as_on_post(agency: Agency) -> None:
    a, _b = sorted(agency.register(2), key=lambda bike: bike.plate)
    response = _put(agency, [agency.vehicle(2, device_id=str(a.device_id))])
    assert response.status_code == 409
    [failure] = response.json()["failures"]
    assert (failure["error"], failure["error_details"]) == ("already_registered", ["vehicle_id"])
    a.refresh_from_db()
    assert a.plate == "亳Q0000001"


def test_a_move_onto_a_plate_that_stays_taken_fails_with_the_item_that_keeps_it(
    agency: Agency,
) -> None:
    a, _b = sorted(agency.register(2), key=lambda bike: bike.plate)
    ghost = str(uuid.uuid4())
    response = _put(
        agency,
        [
            agency.vehicle(2, device_id=str(a.device_id)),  # wants b's plate …
            agency.vehicle(1, device_id=ghost),  # … but b's move is not this item
            agency.vehicle(9, device_id=str(a.device_id)),  # the same bike twice
        ],
    )
    body = response.json()
    assert body["success"] == 0
    assert [(f["item"]["device_id"], f["error"]) for f in body["failures"]] == [
        (str(a.device_id), "already_registered"),
        (ghost, "unregistered"),
        (str(a.device_id), "bad_param"),
    ]
    assert sorted(Bike.objects.values_list("plate", flat=True)) == ["亳Q0000001", "亳Q0000002"]


def test_two_items_asking_for_the_same_free_plate_first_one_wins(agency: Agency) -> None:
    a, b = sorted(agency.register(2), key=lambda bike: bike.plate)
    response = _put(
        agency,
        [
            agency.vehicle(7, device_id=str(a.device_id)),
            agency.vehicle(7, device_id=str(b.device_id)),
        ],
    )
    body = response.json()
    assert body["success"] == 1
    assert [f["error"] for f in body["failures"]] == ["already_registered"]
    a.refresh_from_db()
    assert a.plate == "亳Q0000007"
