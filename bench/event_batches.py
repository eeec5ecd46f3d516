"""MDS event batches for the ingest benchmarks (`ingest.py`, `ingest_inprocess.py`,
`retention.py`): request bodies of 1,000 events of the seeded operators' bikes, half of
them parked (`trip_end`, mostly inside a spot), half starting a trip; and the helpers the
telemetry batches share (`telemetry_batches.py`)."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable


def batch_bodies(
    data: dict, n_batches: int, size: int, seed: int, item: Callable[..., dict]
) -> list[tuple[str, bytes]]:
    """`n_batches` request bodies of `size` items, the seeded operators' in turn, each with
    its operator's token; `item(rng, i, operator, its device ids, now_ms)` makes an item."""
    rng = random.Random(seed)
    by_op: dict[str, list[str]] = {}
    for device, code in data["bikes"]:
        by_op.setdefault(code, []).append(device)
    ops = {o["id"]: o for o in data["operators"]}
    codes = sorted(by_op)
    now = int(time.time() * 1000)
    batches = []
    for b in range(n_batches):
        op = ops[codes[b % len(codes)]]
        items = [item(rng, i, op, by_op[op["id"]], now) for i in range(size)]
        batches.append((op["token"], json.dumps(items).encode()))
    return batches


def position(rng: random.Random, data: dict, *, in_spot: bool) -> tuple[float, float]:
    """(lat, lng) inside a random spot's bounding box, or anywhere in the demo city."""
    if in_spot:
        w, s, e, n = rng.choice(data["spots"])
        return rng.uniform(s, n), rng.uniform(w, e)
    return rng.uniform(33.805, 33.895), rng.uniform(115.705, 115.855)


def located(rng: random.Random, lat: float, lng: float) -> dict:
    """An MDS `location` with an accuracy of 0.3–1.5 m."""
    return {
        "lat": round(lat, 7),
        "lng": round(lng, 7),
        "horizontal_accuracy": round(rng.uniform(0.3, 1.5), 1),
    }


def random_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def make_batches(
    data: dict, n_batches: int, size: int, seed: int, bad_share: float = 0.02
) -> list[tuple[str, bytes]]:
    """Half trip_end (parked: mostly inside a spot, `bad_share` outside), half trip_start."""

    def event(rng: random.Random, i: int, op: dict, devices: list[str], now: int) -> dict:
        parked = i % 2 == 0
        lat, lng = position(rng, data, in_spot=parked and rng.random() >= bad_share)
        return {
            "event_id": random_uuid(rng),
            "device_id": rng.choice(devices),
            "provider_id": op["provider_id"],
            "vehicle_state": "available" if parked else "on_trip",
            "event_types": ["trip_end"] if parked else ["trip_start"],
            "timestamp": now - rng.randint(1_000, 3_600_000),
            "location": located(rng, lat, lng),
            "trip_ids": [random_uuid(rng)],
        }

    return batch_bodies(data, n_batches, size, seed, event)
