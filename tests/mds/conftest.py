from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from nuanxin.accounts.services import api_token_issue
from nuanxin.bikes.models import Bike, Operator
from nuanxin.bikes.services_spots import SpotIn, spot_save


def box(west: float, south: float, east: float, north: float) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Agency:
    operator: Operator
    token: str
    client: Client
    letter: str

    def call(self, method: str, path: str, body: Any = None, raw: bytes | None = None) -> Any:
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return getattr(self.client, method)(
            f"/mds/agency{path}",
            data=data,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.token}",
        )

    def post(self, path: str, body: Any = None, raw: bytes | None = None) -> Any:
        return self.call("post", path, body, raw)

    def vehicle(self, n: int, **extra: Any) -> dict[str, Any]:
        return {
            "device_id": str(uuid.uuid4()),
            "provider_id": str(self.operator.provider_id),
            "vehicle_id": f"亳{self.letter}{n:07d}",
            "vehicle_type": "bicycle",
            "propulsion_types": ["human"],
            **extra,
        }

    def register(self, count: int, start: int = 1) -> list[Bike]:
        items = [self.vehicle(start + i) for i in range(count)]
        response = self.post("/vehicles", items)
        assert response.status_code == 201, response.content
        return list(Bike.objects.filter(device_id__in=[i["device_id"] for i in items]))

    def event(self, bike: Bike, **extra: Any) -> dict[str, Any]:
        item = {
            "event_id": str(uuid.uuid4()),
            "device_id": str(bike.device_id),
            "provider_id": str(self.operator.provider_id),
            "vehicle_state": "available",
            "event_types": ["trip_end"],
            "timestamp": now_ms() - 1000,
            "location": {"lat": 33.87, "lng": 115.75, "horizontal_accuracy": 3.0},
            "trip_ids": [str(uuid.uuid4())],
        }
        item.update(extra)
        return item

    def telemetry(self, bike: Bike, **extra: Any) -> dict[str, Any]:
        item = {
            "telemetry_id": str(uuid.uuid4()),
            "device_id": str(bike.device_id),
            "provider_id": str(self.operator.provider_id),
            "timestamp": now_ms() - 1000,
            "trip_ids": None,
            "journey_id": None,
            "location": {"lat": 33.87, "lng": 115.75, "horizontal_accuracy": 2.0},
        }
        item.update(extra)
        return item

    def trip(self, bike: Bike, **extra: Any) -> dict[str, Any]:
        item = {
            "provider_id": str(self.operator.provider_id),
            "device_id": str(bike.device_id),
            "trip_id": str(uuid.uuid4()),
            "start_time": now_ms() - 600_000,
            "end_time": now_ms() - 1000,
            "start_location": {"lat": 33.86, "lng": 115.74},
            "end_location": {"lat": 33.87, "lng": 115.75},
            "duration": 599,
            "distance": 1800,
        }
        item.update(extra)
        return item


@pytest.fixture
def agency(personas: Any) -> Agency:
    _token, raw = api_token_issue(name="qingju MDS", by=None, operator=personas.operator)
    return Agency(personas.operator, raw, Client(), "Q")


@pytest.fixture
def other_agency(personas: Any) -> Agency:
    _token, raw = api_token_issue(name="hellobike MDS", by=None, operator=personas.other_operator)
    return Agency(personas.other_operator, raw, Client(), "H")


@pytest.fixture
def spots(personas: Any) -> list[Any]:
    return [
        spot_save(
            data=SpotIn(
                code=f"S{i:04d}",
                name=f"人民路{i}号停放点",
                polygon=box(115.75 + i * 0.001, 33.87, 115.7505 + i * 0.001, 33.8702),
                capacity=10,
                category="道路",
                beacon_ids=("BEACON-1",) if i == 0 else (),
            ),
            by=personas.admin,
            effective_from=timezone.now() - timedelta(days=1),
        )
        for i in range(3)
    ]
