"""MDS telemetry batches for the in-process ingest benchmark (`ingest_inprocess.py --kind
telemetry`), and their bare insert path: the points of parked bikes, the case where every
point is judged (a bike in state `available`, no trip), as an operator's heartbeat sends it.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from ingest import fleet, position  # bench/ingest.py (scripts run from bench/)


def make_telemetry_batches(
    data: dict, n_batches: int, size: int, seed: int, bad_share: float = 0.02
) -> list[tuple[str, bytes]]:
    """Points of parked bikes: inside a spot, `bad_share` of them outside any."""
    rng = random.Random(seed)
    ops, by_op = fleet(data)
    codes = sorted(by_op)
    now = int(time.time() * 1000)
    batches = []
    for b in range(n_batches):
        code = codes[b % len(codes)]
        op = ops[code]
        items = []
        for _ in range(size):
            lat, lng = position(rng, data, in_spot=rng.random() >= bad_share)
            items.append(
                {
                    "telemetry_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "device_id": rng.choice(by_op[code]),
                    "provider_id": op["provider_id"],
                    "timestamp": now - rng.randint(1_000, 3_600_000),
                    "location": {
                        "lat": round(lat, 7),
                        "lng": round(lng, 7),
                        "horizontal_accuracy": round(rng.uniform(0.3, 1.5), 1),
                    },
                }
            )
        batches.append((op["token"], json.dumps(items).encode()))
    return batches


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
