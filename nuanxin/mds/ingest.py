"""MDS Agency ingest: events, telemetry, trips. The hot path of the bikes platform.

One request = one batch (≤ max_batch_items). For each batch:
1. every item is checked in Python (nuanxin.mds.validate), duplicates within the batch refused;
2. one query resolves all device_ids, one query finds ids already stored (idempotency);
3. accepted rows are inserted with executemany, the bikes' latest state is advanced only where the
   item is newer (out-of-order events never roll state back), refusals for unregistered bikes are
   counted, and one audit row records the batch — all in one transaction;
4. after commit, parked / moved observations go to the compliance engine (nuanxin.compliance.hooks).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely
from django.db import connection, transaction
from django.utils.translation import gettext as _
from shapely.geometry import shape

from nuanxin.audit.services import audit_record
from nuanxin.bikes.models import Bike, Operator
from nuanxin.bikes.policy import bike_policy
from nuanxin.bikes.services import unregistered_record
from nuanxin.compliance import hooks
from nuanxin.lib.env import envbool
from nuanxin.mds import validate as v
from nuanxin.mds.fastdb import RawJson, adapter, bulk_execute, bulk_insert, json_text
from nuanxin.mds.models import MdsEvent, Telemetry, Trip
from nuanxin.orgs.models import Bureau

log = logging.getLogger(__name__)

PARKED_EVENT_TYPES = frozenset(["trip_end", "provider_drop_off"])
MOVED_EVENT_TYPES = (
    "trip_start",
    "compliance_pick_up",
    "rebalance_pick_up",
    "maintenance_pick_up",
    "agency_pick_up",
    "reservation_start",
    "decommissioned",
)


class BatchRefused(Exception):
    """The whole request is refused (nothing stored): MDS error object, HTTP 400/413."""

    def __init__(self, status: int, error: str, description: str, details: list[str]) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.details = details

    def body(self) -> dict[str, Any]:
        return {
            "error": self.error,
            "error_description": self.description,
            "error_details": self.details,
        }


@dataclass
class BulkResult:
    total: int
    success: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    stored: int = 0
    items: list[Any] | None = None  # newly stored (success also counts idempotent repeats)

    def add_failure(self, item: Any, exc: v.ItemError) -> None:
        self.failures.append(
            {
                "item": item,
                "error": exc.error,
                "error_description": exc.description,
                "error_details": exc.details,
            }
        )

    @property
    def status(self) -> int:
        """201 when anything was written or nothing failed; else 404 (all unregistered) or 400."""
        if self.success or not self.failures:
            return 201
        if all(f["error"] == "unregistered" for f in self.failures):
            return 404
        return 400

    def body(self, items: list[Any] | None = None) -> dict[str, Any]:
        """`items` (the request's list) orders the failures as the items were sent."""
        failures = self.failures
        if items is not None and len(failures) > 1:
            position = {id(item): i for i, item in enumerate(items)}
            failures = sorted(failures, key=lambda f: position.get(id(f["item"]), 0))
        return {"success": self.success, "total": self.total, "failures": failures}

    def ordered_body(self) -> dict[str, Any]:
        return self.body(self.items)


# --- shared steps -------------------------------------------------------------------------


def _prepare(operator: Operator) -> None:
    operator.provider_id_text = str(operator.provider_id)  # type: ignore[attr-defined]


_TYPES_JSON: dict[tuple[str, ...], RawJson] = {}


def _types_json(types: list[str]) -> RawJson:
    key = tuple(types)
    found = _TYPES_JSON.get(key)
    if found is None:
        found = _TYPES_JSON[key] = RawJson(json_text(list(key)))
    return found


def _extras_json(item: dict, known: frozenset[str]) -> RawJson:
    more = v.extras(item, known)
    return RawJson(json_text(more) if more else "{}")


def batch_check(items: Any) -> list[Any]:
    if not isinstance(items, list):
        raise BatchRefused(
            400, "bad_param", _("请求体必须是 JSON 数组。"), ["body: expected an array"]
        )
    limit = bike_policy().max_batch_items
    if not items:
        raise BatchRefused(400, "missing_param", _("批次为空。"), ["body: empty array"])
    if len(items) > limit:
        raise BatchRefused(
            413,
            "bad_param",
            _("单批最多 %(max)d 条，本批 %(n)d 条，整批未处理。") % {"max": limit, "n": len(items)},
            [f"body: {len(items)} items > {limit}"],
        )
    return items


class CityBoundary:
    """Prepared bureau boundary; vectorised point-in-city for a whole batch."""

    _cache: tuple[str, Any] | None = None

    @classmethod
    def geometry(cls) -> Any:
        boundary = Bureau.objects.exclude(boundary=None).values_list("boundary", flat=True).first()
        if boundary is None:
            return None
        key = repr(boundary)
        if cls._cache is None or cls._cache[0] != key:
            geom = shape(boundary)
            shapely.prepare(geom)
            cls._cache = (key, geom)
        return cls._cache[1]

    @classmethod
    def inside(cls, lats: list[float], lngs: list[float]) -> list[bool]:
        geom = cls.geometry()
        if geom is None or not lats:
            return [True] * len(lats)
        return list(shapely.contains_xy(geom, np.asarray(lngs), np.asarray(lats)))


def _select_by_uuid(sql: str, ids: list[uuid.UUID]) -> list[tuple]:
    """Run `sql` (with one `IN (%s)` for the ids) in chunks; first column back as a UUID."""
    out: list[tuple] = []
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        to_db = adapter("uuid")
        params = [to_db(i) for i in chunk]
        with connection.cursor() as cursor:
            cursor.execute(sql % ", ".join(["%s"] * len(chunk)), params)
            rows = cursor.fetchall()
        out.extend((r[0] if isinstance(r[0], uuid.UUID) else uuid.UUID(r[0]), *r[1:]) for r in rows)
    return out


def devices_resolve(device_ids: set[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int, str]]:
    """One query: device_id → (bike id, operator id, current vehicle_state)."""
    if not device_ids:
        return {}
    rows = _select_by_uuid(
        f"SELECT device_id, id, operator_id, vehicle_state FROM {Bike._meta.db_table} "
        "WHERE device_id IN (%s)",
        list(device_ids),
    )
    return {d: (pk, op, state) for d, pk, op, state in rows}


def _now_ms() -> int:
    return int(time.time() * 1000)


def _max_ms() -> int:
    return _now_ms() + bike_policy().clock_skew_tolerance_seconds * 1000


def _unregistered(item: Any) -> v.ItemError:
    return v.ItemError(
        "unregistered", _("该 device_id 未登记。请先通过 POST /vehicles 登记。"), ["device_id"]
    )


def _not_yours(item: Any) -> v.ItemError:
    return v.ItemError(
        "unregistered",
        _("该 device_id 不属于本企业，只能上报本企业登记的车辆。"),
        ["device_id: registered to another provider"],
    )


def _duplicate(key: str) -> v.ItemError:
    return v.ItemError("bad_param", _("%(field)s 在本批次中重复。") % {"field": key}, [key])


def _foreign_id(key: str) -> v.ItemError:
    return v.ItemError("bad_param", _("%(field)s 已被其他运营企业使用。") % {"field": key}, [key])


def _outside(key: str) -> v.ItemError:
    return v.ItemError(
        "bad_param", _("位置不在本市管辖范围内。"), [f"{key}: outside the city boundary"]
    )


def _provider_check(item: dict, operator: Operator) -> None:
    if item.get("provider_id") == operator.provider_id_text:  # type: ignore[attr-defined]
        return
    provider = v.as_uuid(item, "provider_id")
    if provider != operator.provider_id:
        raise v.bad("provider_id", _("provider_id 与令牌所属运营企业不符。"))


def _split_known(
    *,
    operator: Operator,
    parsed: list[tuple[int, Any, Any]],
    result: BulkResult,
    device_of: Any,
) -> tuple[list[tuple[int, Any, Any, tuple[int, int, str]]], Counter]:
    """Resolve device_ids: accept own bikes, refuse unregistered (counted) and others' bikes."""
    devices = devices_resolve({device_of(p) for _i, _item, p in parsed})
    known = []
    unregistered: Counter = Counter()
    for index, item, p in parsed:
        bike = devices.get(device_of(p))
        if bike is None:
            unregistered[device_of(p)] += 1
            result.add_failure(item, _unregistered(item))
        elif bike[1] != operator.pk:
            result.add_failure(item, _not_yours(item))
        else:
            known.append((index, item, p, bike))
    return known, unregistered


def _existing_ids(model: type, key: str, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not ids:
        return {}
    table = model._meta.db_table  # type: ignore[attr-defined]
    rows = _select_by_uuid(f"SELECT {key}, operator_id FROM {table} WHERE {key} IN (%s)", ids)
    return dict(rows)  # type: ignore[arg-type]


def _call_hooks(parked: list[hooks.ParkedObservation], moved: list[hooks.MovedObservation]) -> None:
    try:
        with transaction.atomic():  # one commit for the batch's whole evaluation
            if moved:
                hooks.bikes_moved(observations=moved)
            if parked:
                hooks.parked_bikes_evaluate(observations=parked)
    except Exception:  # the batch is committed; evaluation can be replayed from stored rows
        log.exception("compliance evaluation failed after ingest")


# --- events --------------------------------------------------------------------------------


def evaluation_enabled() -> bool:
    """MDS_INGEST_EVALUATE=0 stores without evaluating (bulk back-fills, benchmarks)."""
    return envbool("MDS_INGEST_EVALUATE", True)


def events_ingest(*, operator: Operator, items: Any, evaluate: bool | None = None) -> BulkResult:
    items = batch_check(items)
    _prepare(operator)
    if evaluate is None:
        evaluate = evaluation_enabled()
    result = BulkResult(total=len(items), items=items)
    max_ms = _max_ms()
    parsed: list[tuple[int, Any, tuple]] = []
    seen: set[uuid.UUID] = set()
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise v.bad("item", _("每一项必须是 JSON 对象。"))
            event_id = v.as_uuid(item, "event_id")
            device_id = v.as_uuid(item, "device_id")
            _provider_check(item, operator)
            state = v.as_state(item)
            types = v.as_event_types(item, state)
            _ms, at = v.as_timestamp(item, "timestamp", max_ms=max_ms)  # type: ignore[misc]
            pub = v.as_timestamp(item, "publication_time", max_ms=max_ms, required=False)
            has_geos = bool(item.get("event_geographies"))
            loc = v.as_location(item, "location", required=not has_geos)
            battery = v.as_percent(item, "battery_percent")
            trip_ids = v.as_uuid_list(item, "trip_ids")
            ticket = item.get("associated_ticket") or ""
            if not isinstance(ticket, str):
                raise v.bad("associated_ticket", _("associated_ticket 必须是字符串。"))
            beacons = v.as_beacons(item)
            if event_id in seen:
                raise _duplicate("event_id")
            seen.add(event_id)  # type: ignore[arg-type]
        except v.ItemError as exc:
            result.add_failure(item, exc)
            continue
        lat, lng, acc = loc if loc else (None, None, None)
        parsed.append(
            (
                index,
                item,
                (
                    event_id,
                    device_id,
                    state,
                    types,
                    at,
                    pub[1] if pub else None,
                    lat,
                    lng,
                    acc,
                    battery,
                    trip_ids,
                    ticket[:64],
                    beacons,
                ),
            )
        )
    with_loc = [(i, p) for i, (_x, _it, p) in enumerate(parsed) if p[6] is not None]
    inside = CityBoundary.inside([p[6] for _i, p in with_loc], [p[7] for _i, p in with_loc])
    outside = {i for (i, _p), ok in zip(with_loc, inside, strict=True) if not ok}
    kept = []
    for i, row in enumerate(parsed):
        if i in outside:
            result.add_failure(row[1], _outside("location"))
        else:
            kept.append(row)

    known, unregistered = _split_known(
        operator=operator, parsed=kept, result=result, device_of=lambda p: p[1]
    )
    received = datetime.now(UTC)
    existing = _existing_ids(MdsEvent, "event_id", [p[0] for _i, _it, p, _b in known])
    rows: list[tuple] = []
    latest: dict[int, tuple] = {}
    parked: list[hooks.ParkedObservation] = []
    moved: list[hooks.MovedObservation] = []
    for _index, item, p, bike in known:
        owner = existing.get(p[0])
        if owner is not None:
            if owner == operator.pk:
                result.success += 1  # idempotent repeat: already stored, nothing to do
            else:
                result.add_failure(item, _foreign_id("event_id"))
            continue
        (
            event_id,
            _dev,
            state,
            types,
            at,
            pub,
            lat,
            lng,
            acc,
            battery,
            trip_ids,
            ticket,
            beacons,
        ) = p
        bike_id = bike[0]
        rows.append(
            (
                event_id,
                operator.pk,
                bike_id,
                state,
                _types_json(types),
                at,
                pub,
                lat,
                lng,
                acc,
                battery,
                RawJson(v.uuid_list_json(trip_ids)),
                ticket,
                beacons,
                received,
                _extras_json(item, v.EVENT_KEYS),
            )
        )
        best = latest.get(bike_id)
        if best is None or at > best[2]:
            latest[bike_id] = (state, types, at, lat, lng, acc, battery)
        if evaluate:
            if lat is not None and (state == "available" or PARKED_EVENT_TYPES.intersection(types)):
                parked.append(
                    hooks.ParkedObservation(
                        bike_id=bike_id,
                        operator_id=operator.pk,
                        at=at,
                        lat=lat,
                        lng=lng,
                        accuracy_m=acc,
                        source="event",
                        source_id=str(event_id),
                        beacon_ids=tuple(beacons),
                    )
                )
            reason = next((t for t in MOVED_EVENT_TYPES if t in types), None)
            if reason is None and state in ("on_trip", "removed", "reserved"):
                reason = state
            if reason:
                moved.append(
                    hooks.MovedObservation(
                        bike_id=bike_id,
                        operator_id=operator.pk,
                        at=at,
                        reason=reason,
                        source_id=str(event_id),
                    )
                )
    result.success += len(rows)
    result.stored = len(rows)
    with transaction.atomic():
        bulk_insert(
            MdsEvent,
            [
                "event_id",
                "operator",
                "bike",
                "vehicle_state",
                "event_types",
                "timestamp",
                "publication_time",
                "lat",
                "lng",
                "accuracy_m",
                "battery_percent",
                "trip_ids",
                "associated_ticket",
                "beacon_ids",
                "received_at",
                "payload",
            ],
            rows,
        )
        _advance_state(latest)
        unregistered_record(operator=operator, device_ids=dict(unregistered))
        _audit(operator, "mds.events_ingest", result)
    if evaluate:
        transaction.on_commit(lambda: _call_hooks(parked, moved))
    return result


def _advance_state(latest: dict[int, tuple]) -> None:
    """Move each bike to its newest state; rows already newer (out-of-order input) are kept."""
    table = Bike._meta.db_table
    state_params, pos_params = [], []
    to_ts, to_json = adapter("datetime"), adapter("json")
    for bike_id, (state, types, at, lat, lng, acc, battery) in latest.items():
        ts = to_ts(at)
        state_params.append((state, to_json(_types_json(types)), ts, battery, bike_id, ts))
        if lat is not None:
            pos_params.append((lat, lng, acc, ts, bike_id, ts))
    bulk_execute(
        f"UPDATE {table} SET vehicle_state = %s, last_event_types = %s, state_at = %s, "
        "battery_percent = COALESCE(%s, battery_percent) "
        "WHERE id = %s AND (state_at IS NULL OR state_at < %s)",
        state_params,
    )
    _advance_position(pos_params)


def _advance_position(pos_params: list[tuple]) -> None:
    bulk_execute(
        f"UPDATE {Bike._meta.db_table} SET lat = %s, lng = %s, accuracy_m = %s, position_at = %s "
        "WHERE id = %s AND (position_at IS NULL OR position_at < %s)",
        pos_params,
    )


def _audit(operator: Operator, action: str, result: BulkResult) -> None:
    audit_record(
        actor=None,
        actor_label=f"operator:{operator.code}",
        action=action,
        obj=operator,
        after={
            "total": result.total,
            "success": result.success,
            "stored": result.stored,
            "failures": len(result.failures),
        },
    )


# --- telemetry -----------------------------------------------------------------------------


def telemetry_ingest(*, operator: Operator, items: Any, evaluate: bool | None = None) -> BulkResult:
    items = batch_check(items)
    _prepare(operator)
    if evaluate is None:
        evaluate = evaluation_enabled()
    result = BulkResult(total=len(items), items=items)
    max_ms = _max_ms()
    parsed: list[tuple[int, Any, tuple]] = []
    seen: set[uuid.UUID] = set()
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise v.bad("item", _("每一项必须是 JSON 对象。"))
            tid = v.as_uuid(item, "telemetry_id")
            device_id = v.as_uuid(item, "device_id")
            _provider_check(item, operator)
            _ms, at = v.as_timestamp(item, "timestamp", max_ms=max_ms)  # type: ignore[misc]
            lat, lng, acc = v.as_location(item, "location", required=True)  # type: ignore[misc]
            trip_ids = (
                v.as_uuid_list(item, "trip_ids") if item.get("trip_ids") is not None else None
            )
            journey = v.as_uuid(item, "journey_id", required=False)
            battery = v.as_percent(item, "battery_percent")
            speed = item.get("location", {}).get("speed")
            if speed is not None:
                speed = v.as_number(speed, "location.speed", 0, 1000)
            beacons = v.as_beacons(item)
            if tid in seen:
                raise _duplicate("telemetry_id")
            seen.add(tid)  # type: ignore[arg-type]
        except v.ItemError as exc:
            result.add_failure(item, exc)
            continue
        parsed.append(
            (
                index,
                item,
                (tid, device_id, at, lat, lng, acc, speed, battery, trip_ids, journey, beacons),
            )
        )
    inside = CityBoundary.inside([p[3] for _i, _it, p in parsed], [p[4] for _i, _it, p in parsed])
    kept = []
    for row, ok in zip(parsed, inside, strict=True):
        if ok:
            kept.append(row)
        else:
            result.add_failure(row[1], _outside("location"))
    known, unregistered = _split_known(
        operator=operator, parsed=kept, result=result, device_of=lambda p: p[1]
    )
    received = datetime.now(UTC)
    existing = _existing_ids(Telemetry, "telemetry_id", [p[0] for _i, _it, p, _b in known])
    rows: list[tuple] = []
    latest: dict[int, tuple] = {}
    parked: list[hooks.ParkedObservation] = []
    for _index, item, p, bike in known:
        owner = existing.get(p[0])
        if owner is not None:
            if owner == operator.pk:
                result.success += 1
            else:
                result.add_failure(item, _foreign_id("telemetry_id"))
            continue
        tid, _dev, at, lat, lng, acc, speed, battery, trip_ids, journey, beacons = p
        bike_id, _op, state = bike
        rows.append(
            (
                tid,
                operator.pk,
                bike_id,
                at,
                lat,
                lng,
                acc,
                speed,
                battery,
                trip_ids,
                journey,
                beacons,
                received,
                _extras_json(item, v.TELEMETRY_KEYS),
            )
        )
        best = latest.get(bike_id)
        if best is None or at > best[3]:
            latest[bike_id] = (lat, lng, acc, at)
        if evaluate and not trip_ids and state == "available":
            parked.append(
                hooks.ParkedObservation(
                    bike_id=bike_id,
                    operator_id=operator.pk,
                    at=at,
                    lat=lat,
                    lng=lng,
                    accuracy_m=acc,
                    source="telemetry",
                    source_id=str(tid),
                    beacon_ids=tuple(beacons),
                )
            )
    result.success += len(rows)
    result.stored = len(rows)
    with transaction.atomic():
        bulk_insert(
            Telemetry,
            [
                "telemetry_id",
                "operator",
                "bike",
                "timestamp",
                "lat",
                "lng",
                "accuracy_m",
                "speed",
                "battery_percent",
                "trip_ids",
                "journey_id",
                "beacon_ids",
                "received_at",
                "payload",
            ],
            rows,
        )
        to_ts = adapter("datetime")
        _advance_position(
            [
                (lat, lng, acc, to_ts(at), bike_id, to_ts(at))
                for bike_id, (lat, lng, acc, at) in latest.items()
            ]
        )
        unregistered_record(operator=operator, device_ids=dict(unregistered))
        _audit(operator, "mds.telemetry_ingest", result)
    if evaluate:
        transaction.on_commit(lambda: _call_hooks(parked, []))
    return result


# --- trips ---------------------------------------------------------------------------------


def trips_ingest(*, operator: Operator, items: Any) -> BulkResult:
    items = batch_check(items)
    _prepare(operator)
    result = BulkResult(total=len(items), items=items)
    max_ms = _max_ms()
    parsed: list[tuple[int, Any, tuple]] = []
    seen: set[uuid.UUID] = set()
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise v.bad("item", _("每一项必须是 JSON 对象。"))
            trip_id = v.as_uuid(item, "trip_id")
            device_id = v.as_uuid(item, "device_id")
            _provider_check(item, operator)
            s_ms, start = v.as_timestamp(item, "start_time", max_ms=max_ms)  # type: ignore[misc]
            e_ms, end = v.as_timestamp(item, "end_time", max_ms=max_ms)  # type: ignore[misc]
            if e_ms < s_ms:
                raise v.bad("end_time", _("end_time 早于 start_time。"))
            s_lat, s_lng, _a = v.as_location(item, "start_location", required=True)  # type: ignore[misc]
            e_lat, e_lng, _b = v.as_location(item, "end_location", required=True)  # type: ignore[misc]
            duration = v.as_int(item, "duration", required=True)
            distance = v.as_int(item, "distance", required=True)
            if trip_id in seen:
                raise _duplicate("trip_id")
            seen.add(trip_id)  # type: ignore[arg-type]
        except v.ItemError as exc:
            result.add_failure(item, exc)
            continue
        parsed.append(
            (
                index,
                item,
                (trip_id, device_id, start, end, duration, distance, s_lat, s_lng, e_lat, e_lng),
            )
        )
    lats = [p[6] for _i, _it, p in parsed] + [p[8] for _i, _it, p in parsed]
    lngs = [p[7] for _i, _it, p in parsed] + [p[9] for _i, _it, p in parsed]
    inside = CityBoundary.inside(lats, lngs)
    n = len(parsed)
    kept = []
    for k, row in enumerate(parsed):
        if inside[k] or inside[n + k]:  # a trip may start or end beyond the line, not both
            kept.append(row)
        else:
            result.add_failure(row[1], _outside("start_location"))
    known, unregistered = _split_known(
        operator=operator, parsed=kept, result=result, device_of=lambda p: p[1]
    )
    existing = _existing_ids(Trip, "trip_id", [p[0] for _i, _it, p, _b in known])
    rows = []
    for _index, item, p, bike in known:
        owner = existing.get(p[0])
        if owner is not None:
            if owner == operator.pk:
                result.success += 1
            else:
                result.add_failure(item, _foreign_id("trip_id"))
            continue
        rows.append((p[0], operator.pk, bike[0], *p[2:], datetime.now(UTC), item))
    result.success += len(rows)
    result.stored = len(rows)
    with transaction.atomic():
        bulk_insert(
            Trip,
            [
                "trip_id",
                "operator",
                "bike",
                "start_time",
                "end_time",
                "duration_s",
                "distance_m",
                "start_lat",
                "start_lng",
                "end_lat",
                "end_lng",
                "received_at",
                "payload",
            ],
            rows,
        )
        unregistered_record(operator=operator, device_ids=dict(unregistered))
        _audit(operator, "mds.trips_ingest", result)
    return result
