"""A small traffic generator: the three demo operators ride, park (sometimes badly) and fix,
all through the real MDS Agency API over HTTP, so the city looks alive in the demo."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings

from nuanxin.accounts.services import api_token_issue
from nuanxin.bikes.models import Bike, Operator, SpotVersion


@dataclass
class FleetBike:
    device_id: str
    lat: float
    lng: float
    busy_until: float = 0.0


@dataclass
class Fleet:
    code: str
    provider_id: str
    token: str
    bikes: list[FleetBike]
    badly_parked: dict[str, float] = field(default_factory=dict)  # device_id → fix time


def operator_tokens(accounts_file: Path | None) -> dict[str, str]:
    """Tokens from var/demo-accounts.json; operators without one get a fresh token."""
    path = accounts_file or Path(settings.VAR_DIR) / "demo-accounts.json"
    tokens: dict[str, str] = {}
    if path.exists():
        for row in json.loads(path.read_text(encoding="utf-8")).get("operators", []):
            tokens[str(row.get("id"))] = row["token"]
    for op in Operator.objects.filter(status=Operator.Status.ACTIVE):
        if op.code not in tokens:
            _t, raw = api_token_issue(name=f"{op.name} traffic", by=None, operator=op)
            tokens[op.code] = raw
    return tokens


def load_fleets(tokens: dict[str, str], per_operator: int) -> list[Fleet]:
    fleets = []
    for op in Operator.objects.filter(code__in=list(tokens)).order_by("code"):
        rows = (
            Bike.objects.filter(operator=op, vehicle_state="available", lat__isnull=False)
            .order_by("pk")
            .values_list("device_id", "lat", "lng")[:per_operator]
        )
        bikes = [FleetBike(str(d), float(lat or 0), float(lng or 0)) for d, lat, lng in rows]
        if bikes:
            fleets.append(Fleet(op.code, str(op.provider_id), tokens[op.code], bikes))
    return fleets


class Traffic:
    def __init__(
        self,
        *,
        base_url: str,
        fleets: list[Fleet],
        rng: random.Random,
        bad_share: float = 0.12,
        fix_share: float = 0.7,
        fix_after: tuple[float, float] = (60, 600),
        log: Callable[[str], None] = print,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.fleets = fleets
        self.rng = rng
        self.bad_share = bad_share
        self.fix_share = fix_share
        self.fix_after = fix_after
        self.log = log
        self.http = httpx.Client(timeout=30)
        self.spots = list(
            SpotVersion.objects.filter(effective_to__isnull=True, status="active").values_list(
                "min_lng", "min_lat", "max_lng", "max_lat"
            )
        )
        self.sent = {"events": 0, "telemetry": 0, "trips": 0, "failures": 0}

    def _in_spot(self) -> tuple[float, float]:
        w, s, e, n = self.rng.choice(self.spots)
        # stay a little inside the box so GPS noise keeps it in
        return (
            self.rng.uniform(s + (n - s) * 0.3, n - (n - s) * 0.3),
            self.rng.uniform(w + (e - w) * 0.3, e - (e - w) * 0.3),
        )

    def _outside(self, lat: float, lng: float) -> tuple[float, float]:
        return lat + self.rng.uniform(-0.004, 0.004), lng + self.rng.uniform(-0.004, 0.004)

    def _event(
        self,
        fleet: Fleet,
        bike: FleetBike,
        state: str,
        types: list[str],
        ts: int,
        lat: float,
        lng: float,
        acc: float,
        trip: str | None = None,
    ) -> dict[str, Any]:
        item: dict[str, Any] = {
            "event_id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "device_id": bike.device_id,
            "provider_id": fleet.provider_id,
            "vehicle_state": state,
            "event_types": types,
            "timestamp": ts,
            "location": {"lat": round(lat, 7), "lng": round(lng, 7), "horizontal_accuracy": acc},
        }
        if trip:
            item["trip_ids"] = [trip]
        return item

    def _post(self, fleet: Fleet, path: str, items: list[dict[str, Any]]) -> None:
        if not items:
            return
        response = self.http.post(
            f"{self.base}/mds/agency/{path}",
            content=json.dumps(items),
            headers={"Authorization": f"Bearer {fleet.token}", "Content-Type": "application/json"},
        )
        if response.status_code >= 500 or response.status_code == 401:
            self.log(f"{fleet.code} {path}: HTTP {response.status_code}")
            return
        body = response.json()
        self.sent[path] += body.get("success", 0)
        self.sent["failures"] += len(body.get("failures", []))

    def tick(self, trips_per_operator: int) -> None:
        now = time.time()
        now_ms = int(now * 1000)
        for fleet in self.fleets:
            events: list[dict[str, Any]] = []
            telemetry: list[dict[str, Any]] = []
            trips: list[dict[str, Any]] = []
            for device_id, due in list(fleet.badly_parked.items()):
                if due > now:
                    continue
                del fleet.badly_parked[device_id]
                bike = next(b for b in fleet.bikes if b.device_id == device_id)
                events.append(
                    self._event(
                        fleet,
                        bike,
                        "removed",
                        ["compliance_pick_up"],
                        now_ms - 2000,
                        bike.lat,
                        bike.lng,
                        3.0,
                    )
                )
                bike.lat, bike.lng = self._in_spot()
                events.append(
                    self._event(
                        fleet,
                        bike,
                        "available",
                        ["provider_drop_off"],
                        now_ms - 500,
                        bike.lat,
                        bike.lng,
                        1.0,
                    )
                )
            for _ in range(trips_per_operator):
                bike = self.rng.choice(fleet.bikes)
                if bike.busy_until > now or bike.device_id in fleet.badly_parked:
                    continue
                minutes = self.rng.randint(3, 25)
                start_ms = now_ms - minutes * 60_000
                trip = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
                s_lat, s_lng = bike.lat, bike.lng
                bad = self.rng.random() < self.bad_share
                e_lat, e_lng = self._outside(s_lat, s_lng) if bad else self._in_spot()
                acc = round(self.rng.uniform(0.5, 4.0), 1)
                events.append(
                    self._event(
                        fleet, bike, "on_trip", ["trip_start"], start_ms, s_lat, s_lng, acc, trip
                    )
                )
                for k in (1, 2):
                    f = k / 3
                    telemetry.append(
                        {
                            "telemetry_id": str(
                                uuid.UUID(int=self.rng.getrandbits(128), version=4)
                            ),
                            "device_id": bike.device_id,
                            "provider_id": fleet.provider_id,
                            "timestamp": start_ms + int(minutes * 60_000 * f),
                            "trip_ids": [trip],
                            "journey_id": None,
                            "location": {
                                "lat": round(s_lat + (e_lat - s_lat) * f, 7),
                                "lng": round(s_lng + (e_lng - s_lng) * f, 7),
                                "horizontal_accuracy": acc,
                                "speed": 3.5,
                            },
                        }
                    )
                events.append(
                    self._event(
                        fleet,
                        bike,
                        "available",
                        ["trip_end"],
                        now_ms - 1000,
                        e_lat,
                        e_lng,
                        acc,
                        trip,
                    )
                )
                distance = int(((e_lat - s_lat) ** 2 + (e_lng - s_lng) ** 2) ** 0.5 * 105_000)
                trips.append(
                    {
                        "provider_id": fleet.provider_id,
                        "device_id": bike.device_id,
                        "trip_id": trip,
                        "start_time": start_ms,
                        "end_time": now_ms - 1000,
                        "start_location": {"lat": round(s_lat, 7), "lng": round(s_lng, 7)},
                        "end_location": {"lat": round(e_lat, 7), "lng": round(e_lng, 7)},
                        "duration": minutes * 60,
                        "distance": distance,
                    }
                )
                bike.lat, bike.lng = e_lat, e_lng
                bike.busy_until = now + self.rng.uniform(5, 60)
                if bad and self.rng.random() < self.fix_share:
                    fleet.badly_parked[bike.device_id] = now + self.rng.uniform(*self.fix_after)
            self._post(fleet, "events", events)
            self._post(fleet, "telemetry", telemetry)
            self._post(fleet, "trips", trips)

    def run(self, *, rate: float, forever: bool, duration: float) -> dict[str, int]:
        """`rate`: trips per second across all operators."""
        per_tick = max(1, round(rate / max(1, len(self.fleets))))
        started = time.monotonic()
        last_log = started
        while forever or time.monotonic() - started < duration:
            t0 = time.monotonic()
            try:
                self.tick(per_tick)
            except httpx.HTTPError as exc:
                self.log(f"server not reachable ({exc}); retrying")
                time.sleep(2)
            if time.monotonic() - last_log > 60:
                self.log(f"bike_traffic: {self.sent}")
                last_log = time.monotonic()
            time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
        return self.sent
