"""MDS telemetry batches for the in-process ingest benchmark (`ingest_inprocess.py --kind
telemetry`), and their bare insert path: the points of parked bikes, the case where every
point is judged (a bike in state `available`, no trip), as an operator's heartbeat sends it.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path

from event_batches import batch_bodies, located, position, random_uuid


def make_telemetry_batches(
    data: dict, n_batches: int, size: int, seed: int, bad_share: float = 0.02
) -> list[tuple[str, bytes]]:
    """Points of parked bikes: inside a spot, `bad_share` of them outside any."""

    def point(rng: random.Random, _i: int, op: dict, devices: list[str], now: int) -> dict:
        lat, lng = position(rng, data, in_spot=rng.random() >= bad_share)
        return {
            "telemetry_id": random_uuid(rng),
            "device_id": rng.choice(devices),
            "provider_id": op["provider_id"],
            "timestamp": now - rng.randint(1_000, 3_600_000),
            "location": located(rng, lat, lng),
        }

    return batch_bodies(data, n_batches, size, seed, point)


def bare_telemetry_batch(path: Path) -> Callable[[bytes], None]:
    """The floor for telemetry: json.loads + one executemany INSERT into a plain table."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE bare_telemetry (id INTEGER PRIMARY KEY, telemetry_id TEXT UNIQUE, "
        "device_id TEXT, provider_id TEXT, timestamp INTEGER, lat REAL, lng REAL, "
        "accuracy_m REAL, payload TEXT)"
    )
    sql = (
        "INSERT INTO bare_telemetry (telemetry_id, device_id, provider_id, timestamp, lat, lng, "
        "accuracy_m, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    )

    def store(body: bytes) -> None:
        rows = [
            (
                p["telemetry_id"],
                p["device_id"],
                p["provider_id"],
                p["timestamp"],
                p["location"]["lat"],
                p["location"]["lng"],
                p["location"].get("horizontal_accuracy"),
                json.dumps(p),
            )
            for p in json.loads(body)
        ]
        db.execute("BEGIN IMMEDIATE")
        db.executemany(sql, rows)
        db.execute("COMMIT")

    return store
