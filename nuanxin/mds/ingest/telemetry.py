"""MDS Agency telemetry and trips ingest (see common.py for the batch contract)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import partial
from operator import itemgetter
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from nuanxin.bikes.models import Operator
from nuanxin.bikes.services import unregistered_record
from nuanxin.compliance import hooks
from nuanxin.mds import validate as v
from nuanxin.mds.fastdb import adapter, bulk_insert, bulk_insert_prepare
from nuanxin.mds.ingest.batch import (
    BulkResult,
    batch_check,
    body_items,
    duplicate_error,
    items_parse,
)
from nuanxin.mds.ingest.common import (
    NO_EXTRAS,
    CityBoundary,
    StoredBefore,
    advance_position,
    already_stored,
    batch_audit,
    call_hooks,
    decisions_clear,
    decisions_inline,
    evaluation_enabled,
    existing_ids,
    extras_json,
    ingest_passes,
    judge_parked,
    latest_allowed_ms,
    operator_prepare,
    outside_error,
    provider_check,
    split_known,
)
from nuanxin.mds.models import Telemetry, Trip
from nuanxin.mds.validate_fast import telemetry_decode, telemetry_parsed

# --- telemetry -----------------------------------------------------------------------------


def telemetry_ingest(
    *,
    operator: Operator,
    items: Any = None,
    evaluate: bool | None = None,
    body: bytes | None = None,
) -> BulkResult:
    """`items`: the parsed request body; `body`: its bytes, when the caller has them (the
    Agency API): a well-formed batch is then checked by the compiled fast path
    (`validate_fast`), any other item by the item checks, with the same outcome. Given
    `body` alone, the items are decoded from it only as far as needed (`BodyItems`)."""
    return ingest_passes(partial(_telemetry_ingest, operator, items, evaluate, body))


def _telemetry_ingest(
    operator: Operator,
    items: Any,
    evaluate: bool | None,
    body: bytes | None,
    *,
    look_for_stored: bool,
) -> BulkResult:
    """One pass over the batch (see `ingest_passes` for `look_for_stored`)."""
    items, decoded = body_items(items, body, telemetry_decode)
    items = batch_check(items)
    operator_prepare(operator)
    if evaluate is None:
        evaluate = evaluation_enabled()
    result = BulkResult(total=len(items), items=items)
    max_ms = latest_allowed_ms()
    provider_id = operator.provider_id_text  # type: ignore[attr-defined]
    parsed, taken_fast = items_parse(
        items,
        result,
        decoded=decoded,
        fast=lambda point: telemetry_parsed(point, provider_id=provider_id, max_ms=max_ms),
        checked=lambda item: telemetry_checked(item, operator, max_ms),
        key="telemetry_id",
    )
    # A point with speed keeps its whole location in the payload, as the item checks keep it.
    plain_items = {index for index, _item, p in parsed if index in taken_fast and p[6] is None}
    inside = CityBoundary.inside([p[3] for _i, _it, p in parsed], [p[4] for _i, _it, p in parsed])
    kept = []
    for row, ok in zip(parsed, inside, strict=True):
        if ok:
            kept.append(row)
        else:
            result.fail_at(row[0], outside_error("location"))
    known, unregistered = split_known(
        operator=operator, parsed=kept, result=result, device_of=lambda p: p[1]
    )
    received = datetime.now(UTC)
    existing = (
        existing_ids(Telemetry, "telemetry_id", [p[0] for _i, _it, p, _b in known])
        if look_for_stored
        else {}
    )
    rows: list[list] = []
    latest: dict[int, tuple] = {}
    parked: list[hooks.ParkedObservation] = []
    op_pk = operator.pk
    for index, _item, p, bike in known:
        if already_stored(
            existing, p[0], key="telemetry_id", index=index, operator=operator, result=result
        ):
            continue
        tid, _dev, at, lat, lng, acc, speed, battery, trip_ids, journey, beacons = p
        bike_id, _op, state, _state_at, _position_at = bike
        rows.append(
            [
                tid,
                op_pk,
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
                NO_EXTRAS if index in plain_items else extras_json(items[index], v.TELEMETRY_KEYS),
                None,  # decision: filled in below for the points judged in spot
            ]
        )
        best = latest.get(bike_id)
        if best is None or at > best[3]:
            latest[bike_id] = (lat, lng, acc, at)
        if evaluate and not trip_ids and state == "available":
            parked.append(
                hooks.ParkedObservation(
                    bike_id=bike_id,
                    operator_id=op_pk,
                    at=at,
                    lat=lat,
                    lng=lng,
                    accuracy_m=acc,
                    source="telemetry",
                    source_id=tid,
                    beacon_ids=tuple(beacons),
                )
            )
    result.success += len(rows)
    result.stored = len(rows)
    judgement = judge_parked(parked, inline=True) if evaluate else None
    inline = decisions_inline(judgement)
    if inline:
        for point_row in rows:  # the decision column, last
            point_row[-1] = inline.get(point_row[0])
    rows.sort(key=itemgetter(0))  # id order: concurrent retries never wait in a cycle
    insert = bulk_insert_prepare(Telemetry, TELEMETRY_COLUMNS, rows)
    with transaction.atomic():
        stored = insert.run()
        if stored != len(rows) and not look_for_stored:
            raise StoredBefore  # rolls back the insert, the only write so far
        to_ts = adapter("datetime")
        advance_position(
            [
                (lat, lng, acc, to_ts(at), bike_id, to_ts(at))
                for bike_id, (lat, lng, acc, at) in sorted(latest.items())
            ]
        )
        unregistered_record(operator=operator, device_ids=dict(unregistered))
        batch_audit(operator, "mds.telemetry_ingest", result)
        if judgement is not None:
            undo = partial(decisions_clear, Telemetry, "telemetry_id", list(inline))
            call_hooks(judgement, [], undo_inline=undo)
    return result


TELEMETRY_COLUMNS = (
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
    "decision",
)


def telemetry_checked(item: Any, operator: Operator, max_ms: int) -> tuple:
    """One point through the item checks (`nuanxin.mds.validate`): the parsed values, or
    ItemError naming what is wrong."""
    if not isinstance(item, dict):
        raise v.bad("item", _("每一项必须是 JSON 对象。"))
    tid = v.as_uuid_text(item, "telemetry_id")
    device_id = v.as_uuid_text(item, "device_id")
    provider_check(item, operator)
    _ms, at = v.as_timestamp(item, "timestamp", max_ms=max_ms)  # type: ignore[misc]
    lat, lng, acc = v.as_location(item, "location", required=True)  # type: ignore[misc]
    trip_ids = v.as_uuid_list(item, "trip_ids") if item.get("trip_ids") is not None else None
    journey = v.as_uuid(item, "journey_id", required=False)
    battery = v.as_percent(item, "battery_percent")
    speed = item["location"].get("speed")
    if speed is not None:
        speed = v.as_number(speed, "location.speed", 0, 1000)
    v.telemetry_extras_check(item)
    beacons = v.as_beacons(item)
    return (tid, device_id, at, lat, lng, acc, speed, battery, trip_ids, journey, beacons)


# --- trips ---------------------------------------------------------------------------------


def trips_ingest(*, operator: Operator, items: Any) -> BulkResult:
    items = batch_check(items)
    operator_prepare(operator)
    result = BulkResult(total=len(items), items=items)
    max_ms = latest_allowed_ms()
    parsed: list[tuple[int, Any, tuple]] = []
    seen: set[uuid.UUID] = set()
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise v.bad("item", _("每一项必须是 JSON 对象。"))
            trip_id = v.as_uuid(item, "trip_id")
            device_id = v.as_uuid(item, "device_id")
            provider_check(item, operator)
            s_ms, start = v.as_timestamp(item, "start_time", max_ms=max_ms)  # type: ignore[misc]
            e_ms, end = v.as_timestamp(item, "end_time", max_ms=max_ms)  # type: ignore[misc]
            if e_ms < s_ms:
                raise v.bad("end_time", _("end_time 早于 start_time。"))
            s_lat, s_lng, _a = v.as_location(item, "start_location", required=True)  # type: ignore[misc]
            e_lat, e_lng, _b = v.as_location(item, "end_location", required=True)  # type: ignore[misc]
            duration = v.as_int(item, "duration", required=True)
            distance = v.as_int(item, "distance", required=True)
            v.trip_extras_check(item, max_ms=max_ms)
            if trip_id in seen:
                raise duplicate_error("trip_id")
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
            result.fail_at(row[0], outside_error("start_location"))
    known, unregistered = split_known(
        operator=operator, parsed=kept, result=result, device_of=lambda p: p[1]
    )
    existing = existing_ids(Trip, "trip_id", [p[0] for _i, _it, p, _b in known])
    rows = []
    for index, item, p, bike in known:
        if already_stored(
            existing, p[0], key="trip_id", index=index, operator=operator, result=result
        ):
            continue
        rows.append((p[0], operator.pk, bike[0], *p[2:], datetime.now(UTC), item))
    result.success += len(rows)
    result.stored = len(rows)
    rows.sort(key=itemgetter(0))  # id order: concurrent retries never wait in a cycle
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
        batch_audit(operator, "mds.trips_ingest", result)
    return result
