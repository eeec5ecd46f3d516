"""Raw bulk writes for the evaluation hot path (one executemany per table per batch).

The ORM's bulk_create/bulk_update prepare every value through the field machinery, which
cost more than the classification itself. These helpers write the same rows with the
adapters of nuanxin.mds.fastdb; the callers hold the transaction.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from nuanxin.compliance.models import BikeParking, ParkingCheck, Verdict
from nuanxin.mds.fastdb import (
    Prepared,
    adapter,
    as_aware,
    bulk_execute,
    bulk_insert_sql,
    ids_reserve,
    select_in,
)


@dataclass(slots=True)
class Decision:
    """One ParkingCheck row in the making: plain attributes, no ORM instance (building 500
    model instances per batch cost more than classifying them)."""

    bike_id: int
    operator_id: int
    observed_at: datetime
    lat: float
    lng: float
    accuracy_m: float | None
    accuracy_used_m: float
    tolerance_m: float
    beacon_ids: list[str]
    source: str
    source_id: str
    verdict: str
    rule: str
    spot_id: int | None
    spot_version_id: int | None
    distance_m: float | None
    beacon_confirmed: bool
    spots_stamp: int
    pk: int | None = None
    created_at: datetime | None = None
    # Kept on its event (`MdsEvent.decision`) instead of a ParkingCheck row: an in-spot
    # decision of an ingested event (see `checks_prepare`). Its pk stays None.
    inline: bool = False

    def as_model(self) -> ParkingCheck:
        check = ParkingCheck(
            id=self.pk,
            **{f: getattr(self, f) for f in DECISION_COLUMNS},
        )
        if self.pk is not None:
            check._state.adding = False
            check._state.db = connection.alias
        return check

    def inline_json(self) -> dict:
        """What the event keeps of its decision: the explanation's values that the event
        row does not already hold (position, accuracy and beacons are the event's own)."""
        return {
            "verdict": self.verdict,
            "rule": self.rule,
            "spot_id": self.spot_id,
            "spot_version_id": self.spot_version_id,
            "distance_m": self.distance_m,
            "accuracy_used_m": self.accuracy_used_m,
            "tolerance_m": self.tolerance_m,
            "beacon_confirmed": self.beacon_confirmed,
            "spots_stamp": self.spots_stamp,
        }


# Kept inline when judged in spot (on the event or telemetry point, by ingest): the
# decision needs no follow-up and no row of its own.
INLINE_SOURCES = frozenset({"event", "telemetry"})


# ParkingCheck's columns as a Decision carries them (attnames: `bike_id`, not `bike`).
DECISION_COLUMNS = (
    "bike_id",
    "operator_id",
    "observed_at",
    "lat",
    "lng",
    "accuracy_m",
    "accuracy_used_m",
    "tolerance_m",
    "beacon_ids",
    "source",
    "source_id",
    "verdict",
    "rule",
    "spot_id",
    "spot_version_id",
    "distance_m",
    "beacon_confirmed",
    "spots_stamp",
    "created_at",
)
INSERT_COLUMNS = ("id", *DECISION_COLUMNS)  # the order `checks_prepare` builds its rows in


def checks_seen(keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (source, source_id) pairs already have a decision (one indexed lookup per source:
    the unique index leads with `source`)."""
    table = ParkingCheck._meta.db_table
    found: set[tuple[str, str]] = set()
    for source in {k[0] for k in keys}:
        ids = sorted(i for s, i in keys if s == source)
        rows = select_in(
            f"SELECT source_id FROM {table} WHERE source = %s AND source_id IN ({{ids}})",
            ids,
            params=[source],
        )
        found.update((source, i) for (i,) in rows)
    return found


@dataclass(slots=True)
class PreparedChecks:
    """The decisions' rows adapted for the database (built outside the write lock); the
    primary keys are reserved and filled in by `checks_store`, inside it."""

    decisions: list[Decision]  # all of them, the inline ones too
    stored: list[Decision]  # those that become ParkingCheck rows, in `insert`'s order
    insert: Prepared  # ("id", *DECISION_COLUMNS), the id still empty
    parking_rows: list[tuple[int, list]]  # (index of the decision, BikeParking row sans check)


# BikeParking.check_id_ref of a bike whose latest decision is kept inline (on its event or
# telemetry point): no ParkingCheck has id 0, so no queued decision is taken for it.
INLINE_CHECK_REF = 0


def checks_prepare(
    decisions: Sequence[Decision], now: datetime, *, inline: bool = False
) -> PreparedChecks:
    """Stamp the decisions with their time and adapt their rows, and each bike's latest
    parking state, for `checks_store`. No conflict swallowing in the INSERT: the unique
    (source, source_id) must refuse a concurrent duplicate loudly.
    `inline` (events and telemetry ingest): in-spot decisions of `INLINE_SOURCES` are
    marked `inline` and get no row; the caller keeps them on their events or points
    (`Decision.inline_json`)."""
    to_ts, to_json = adapter("datetime"), adapter("json")
    created = to_ts(now)
    rows: list[list] = []
    stored: list[Decision] = []
    latest: dict[int, int] = {}
    # One pass, each row adapted as it is built (DECISION_COLUMNS order, the id first).
    for i, d in enumerate(decisions):
        d.created_at = now
        best = latest.get(d.bike_id)
        if best is None or d.observed_at >= decisions[best].observed_at:
            latest[d.bike_id] = i
        if inline and d.verdict == Verdict.IN_SPOT and d.source in INLINE_SOURCES:
            d.inline = True
            continue
        stored.append(d)
        rows.append(
            [
                None,
                d.bike_id,
                d.operator_id,
                to_ts(d.observed_at),
                d.lat,
                d.lng,
                d.accuracy_m,
                d.accuracy_used_m,
                d.tolerance_m,
                to_json(d.beacon_ids),
                d.source,
                d.source_id,
                d.verdict,
                d.rule,
                d.spot_id,
                d.spot_version_id,
                d.distance_m,
                d.beacon_confirmed,
                d.spots_stamp,
                created,
            ]
        )
    insert = Prepared(bulk_insert_sql(ParkingCheck, INSERT_COLUMNS, ignore_conflicts=False), rows)
    parking_rows = []
    for _bike, i in sorted(latest.items()):  # bike id order: concurrent batches never deadlock
        d = decisions[i]
        spot = d.spot_id if d.verdict == Verdict.IN_SPOT else None
        parking_rows.append((i, [d.bike_id, d.operator_id, to_ts(d.observed_at), d.verdict, spot]))
    return PreparedChecks(list(decisions), stored, insert, parking_rows)


def checks_store(prepared: PreparedChecks) -> set[int]:
    """Reserve the stored decisions' primary keys and INSERT them; then each bike's latest
    decision becomes its parking state, unless a newer observation is already recorded
    (out-of-order input never rolls the state back). Returns the spots this write vacated:
    those of bikes recorded parked in a spot whose state it replaced with another spot or
    none (their occupancy dropped, though no movement was reported)."""
    ids = ids_reserve(ParkingCheck, len(prepared.stored))
    for d, row, pk in zip(prepared.stored, prepared.insert.params, ids, strict=True):
        d.pk = row[0] = pk
    if prepared.stored:
        prepared.insert.run()
    decisions = prepared.decisions
    rows = [
        (*row, INLINE_CHECK_REF if decisions[i].inline else decisions[i].pk, True)
        for i, row in prepared.parking_rows
    ]
    found = _parking_rows([row[0] for row in rows])
    _parking_state_write(rows, known=found)
    # The UPDATE's guard (`at <= %s`), on the same values: an older observation judged
    # late replaces nothing, so it vacates nothing either.
    return {
        before[1]
        for bike, _op, at, _verdict, spot, _check, _parked in rows
        if (before := found.get(bike)) and before[1] and before[1] != spot and before[2] <= at
    }


def _parking_state_write(rows: list[tuple], *, known: Container[int]) -> None:
    """Make each row (bike_id, operator_id, at, verdict, spot_id, check_id_ref, parked; in
    bike id order) its bike's parking state, unless a newer observation is recorded. A
    `check_id_ref` of None (a movement) keeps the bike's last decision. `known`: the bikes
    that have a row: they get an UPDATE, since an upsert first tries the INSERT (foreign
    keys checked, unique index probed) and measured three times the cost of the UPDATE."""
    table = BikeParking._meta.db_table
    bulk_execute(
        f"UPDATE {table} SET at = %s, verdict = %s, spot_id = %s, "
        "check_id_ref = COALESCE(%s, check_id_ref), parked = %s WHERE bike_id = %s AND at <= %s",
        [
            (at, verdict, spot, check, parked, bike, at)
            for bike, _op, at, verdict, spot, check, parked in rows
            if bike in known
        ],
    )
    bulk_execute(
        f"INSERT INTO {table} (bike_id, operator_id, at, verdict, spot_id, check_id_ref, parked) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s)"
        + _unless_sqlite(
            " ON CONFLICT (bike_id) DO UPDATE SET at = excluded.at, verdict = excluded.verdict, "
            f"spot_id = excluded.spot_id, check_id_ref = COALESCE(excluded.check_id_ref, "
            f"{table}.check_id_ref), parked = excluded.parked WHERE excluded.at >= {table}.at"
        ),
        [row for row in rows if row[0] not in known],
    )


def _unless_sqlite(conflict_clause: str) -> str:
    """The upsert clause for a row just found missing, on PostgreSQL only: there a
    concurrent request may insert it first, while SQLite's single writer holds the lock
    since the lookup — and its upsert, with foreign keys on, measured 2.5× a plain INSERT."""
    return "" if connection.vendor == "sqlite" else conflict_clause


def _parking_rows(bike_ids: list[int]) -> dict[int, tuple[int, int | None, Any]]:
    """{bike_id: (bike_id, spot_id, at)} for those of these bikes that have a parking row
    (rows are only ever added: a bike found here keeps its row; one not found that gains a
    row meanwhile goes through the upsert). `at` only where a spot is recorded, the one case
    `checks_store` compares it: selected as an expression, it comes back from SQLite as the
    stored text, not parsed per row, and compares with the adapted parameters as the
    UPDATE's `at <= %s` does; PostgreSQL gives aware datetimes, as the parameters are."""
    table = BikeParking._meta.db_table
    rows = select_in(
        "SELECT bike_id, spot_id, CASE WHEN spot_id IS NULL THEN NULL ELSE at END "
        f"FROM {table} WHERE bike_id IN ({{ids}})",
        bike_ids,
    )
    return {row[0]: row for row in rows}


def bikes_unpark(latest: dict[int, tuple[datetime, int]]) -> set[int]:
    """Record each moved bike ({bike_id: (moved_at, operator_id)}) as not parked since it
    moved, unless a newer observation is already recorded; returns the spots they freed.

    A bike with no parking state yet gets one too: a parking observation older than the
    movement, judged after it (later in the same batch, or in a replay), must then find the
    newer movement and leave the bike unparked — and, not being the bike's latest decision,
    open no notice for a bike that has long left."""
    table = BikeParking._meta.db_table
    to_ts = adapter("datetime")
    rows = select_in(
        f"SELECT bike_id, spot_id, at, parked FROM {table} WHERE bike_id IN ({{ids}})",
        list(latest),
    )
    freed = {
        spot_id
        for bike_id, spot_id, at, parked in rows
        if parked and spot_id and latest[bike_id][0] >= as_aware(at)
    }
    # In bike id order, as every bulk write of bike rows: no lock-order deadlocks.
    _parking_state_write(
        [
            (bike_id, operator_id, to_ts(moved_at), "", None, None, False)
            for bike_id, (moved_at, operator_id) in sorted(latest.items())
        ],
        known={row[0] for row in rows},
    )
    return freed
