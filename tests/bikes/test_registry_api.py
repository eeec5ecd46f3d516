from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from nuanxin.accounts.services import api_token_issue
from nuanxin.bikes.models import Bike


@pytest.fixture
def bikes(personas: Any) -> tuple[Bike, Bike]:
    mine = Bike.objects.create(
        operator=personas.operator,
        plate="亳Q0000001",
        device_id=uuid.uuid4(),
        vehicle_state="available",
    )
    theirs = Bike.objects.create(
        operator=personas.other_operator, plate="亳H0000001", device_id=uuid.uuid4()
    )
    return mine, theirs


def test_staff_see_every_bike_and_operator(personas: Any, client_for: Any, bikes: Any) -> None:
    for user in (personas.dispatcher, personas.officer_a, personas.admin):
        client = client_for(user)
        assert client.get("/api/v1/bikes/by-plate/亳H0000001").json()["operator"] == "hellobike"
        assert len(client.get("/api/v1/bikes/operators").json()) == 2
        stats = client.get(f"/api/v1/bikes/operators/{personas.operator.pk}/stats").json()
        assert stats["registered"] == 1 and stats["quota_left"] == 7999


def test_an_operator_admin_sees_only_its_own(personas: Any, client_for: Any, bikes: Any) -> None:
    client = client_for(personas.operator_admin)
    assert client.get("/api/v1/bikes/by-plate/亳Q0000001").json()["vehicle_state"] == "available"
    assert client.get("/api/v1/bikes/by-plate/亳H0000001").status_code == 404
    assert [o["code"] for o in client.get("/api/v1/bikes/operators").json()] == ["qingju"]
    assert (
        client.get(f"/api/v1/bikes/operators/{personas.other_operator.pk}/stats").status_code == 404
    )
    assert client.get(f"/api/v1/bikes/operators/{personas.operator.pk}/stats").status_code == 200


def test_an_operator_token_sees_only_its_own(personas: Any, bikes: Any) -> None:
    _t, raw = api_token_issue(name="t", by=None, operator=personas.other_operator)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/bikes/by-plate/亳H0000001").status_code == 200
    assert client.get("/api/v1/bikes/by-plate/亳Q0000001").status_code == 404


def test_other_roles_and_anonymous_are_refused(personas: Any, client_for: Any, bikes: Any) -> None:
    assert Client().get("/api/v1/bikes/operators").status_code == 401
    assert client_for(personas.merchant).get("/api/v1/bikes/by-plate/亳Q0000001").status_code == 403
    assert client_for(personas.outsider).get("/api/v1/bikes/operators").status_code == 403


def test_workers_report_duty_and_operators_see_only_their_crews(
    personas: Any, client_for: Any
) -> None:
    import json

    from nuanxin.accounts.models import User
    from nuanxin.bikes.services import maintenance_worker_create

    user = User.objects.create(username="mw1", role="maintenance")
    maintenance_worker_create(
        user=user, operator=personas.operator, name="王伟", phone="13900000000"
    )
    client = client_for(user)
    response = client.post(
        "/api/v1/bikes/workers/me",
        data=json.dumps({"on_duty": True, "lat": 33.86, "lng": 115.75}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["on_duty"] is True
    bad = client.post(
        "/api/v1/bikes/workers/me",
        data=json.dumps({"on_duty": True, "lat": 95, "lng": 115.75}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "bad_position"
    assert len(client_for(personas.operator_admin).get("/api/v1/bikes/workers").json()) == 1
    assert client_for(personas.other_operator_admin).get("/api/v1/bikes/workers").json() == []
    refused = client_for(personas.operator_admin).post(
        "/api/v1/bikes/workers/me",
        data=json.dumps({"on_duty": True}),
        content_type="application/json",
    )
    assert refused.status_code == 403
