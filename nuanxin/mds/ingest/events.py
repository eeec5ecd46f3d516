"""MDS Agency events ingest: validate, store, advance bike state, hand parked and moved
bikes to the compliance engine (see common.py for the batch contract)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from operator import itemgetter
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from nuanxin.bikes.models import Bike, Operator
from nuanxin.bikes.services import unregistered_record
from nuanxin.compliance import hooks
from nuanxin.mds import validate as v
from nuanxin.mds.fastdb import Prepared, adapter, bulk_insert_sql
from nuanxin.mds.ingest.batch import (
    BulkResult,
    batch_check,
    body_items,
    items_parse,
)
from nuanxin.mds.ingest.common import (
    MOVED_EVENT_TYPES,
    NO_EXTRAS,
    PARKED_EVENT_TYPES,
    POSITION_UPDATE,
    CityBoundary,
    StoredBefore,
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
    types_binder,
)
from nuanxin.mds.models import MdsEvent
from nuanxin.mds.validate_fast import event_parsed, events_decode

# --- events --------------------------------------------------------------------------------

EVENT_COLUMNS = (
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
    "decision",
)
DECISION_COLUMN = EVENT_COLUMNS.index("decision")


def events_ingest(
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
    return ingest_passes(partial(_events_ingest, operator, items, evaluate, body))


def _events_ingest(
    operator: Operator,
    items: Any,
    evaluate: bool | None,
    body: bytes | None,
    *,
    look_for_stored: bool,
) -> BulkResult:
    """One pass over the batch (see `ingest_passes` for `look_for_stored`)."""
    items, decoded = body_items(items, body, events_decode)
    items = batch_check(items)
    operator_prepare(operator)
    if evaluate is None:
        evaluate = evaluation_enabled()
    result = BulkResult(total=len(items), items=items)
    max_ms = latest_allowed_ms()
    provider_id = operator.provider_id_text  # type: ignore[attr-defined]
    parsed, plain_items = items_parse(
        items,
        result,
        decoded=decoded,
        fast=lambda event: event_parsed(event, provider_id=provider_id, max_ms=max_ms),
        checked=lambda item: event_checked(item, operator, max_ms),
        key="event_id",
    )
    with_loc = [(i, p) for i, (_x, _it, p) in enumerate(parsed) if p[6] is not None]
    inside = CityBoundary.inside([p[6] for _i, p in with_loc], [p[7] for _i, p in with_loc])
    outside = {i for (i, _p), ok in zip(with_loc, inside, strict=True) if not ok}
    kept = []
    for i, row in enumerate(parsed):
        if i in outside:
            result.fail_at(row[0], outside_error("location"))
        else:
            kept.append(row)

    known, unregistered = split_known(
        operator=operator, parsed=kept, result=result, device_of=lambda p: p[1]
    )
    received = datetime.now(UTC)
    existing = (
        existing_ids(MdsEvent, "event_id", [p[0] for _i, _it, p, _b in known])
        if look_for_stored
        else {}
    )
    rows: list[list] = []
    to_uuid, to_ts, to_json = adapter("uuid"), adapter("datetime"), adapter("json")
    # Bound forms made once per batch (or per distinct event_types list), not per event.
    types_bound, json_bound = types_binder(), adapter("json_text")
    no_extras, no_beacons = to_json(NO_EXTRAS), to_json([])
    received_db = to_ts(received)
    latest: dict[int, tuple] = {}
    parked: list[hooks.ParkedObservation] = []
    moved: list[hooks.MovedObservation] = []
    parked_rows: dict[str, int] = {}  # event_id: its row, for `decisions_inline`
    op_pk = operator.pk
    for index, item, p, bike in known:
        if already_stored(
            existing, p[0], key="event_id", index=index, operator=operator, result=result
        ):
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
        # Adapted for the database as it is built, in EVENT_COLUMNS order.
        rows.append(
            [
                to_uuid(event_id),
                op_pk,
                bike_id,
                state,
                types_bound(types),
                to_ts(at),
                None if pub is None else to_ts(pub),
                lat,
                lng,
                acc,
                battery,
                json_bound(v.uuid_list_json(trip_ids)),
                ticket,
                to_json(beacons) if beacons else no_beacons,
                received_db,
                no_extras if index in plain_items else to_json(extras_json(item, v.EVENT_KEYS)),
                None,  # decision: filled in below for the parked events judged in spot
            ]
        )
        best = latest.get(bike_id)
        if best is None or at > best[2]:
            latest[bike_id] = (state, types, at, lat, lng, acc, battery, bike[3], bike[4])
        if evaluate:
            n_parked = len(parked)
            event_observe(
                parked, moved, bike_id, op_pk, event_id, state, types, at, lat, lng, acc, beacons
            )
            if len(parked) != n_parked:
                parked_rows.setdefault(event_id, len(rows) - 1)
    result.success += len(rows)
    result.stored = len(rows)
    judgement = judge_parked(parked, inline=True)
    inline = decisions_inline(judgement)
    for event_id, decision in inline.items():  # onto its row, before the INSERT
        rows[parked_rows[event_id]][DECISION_COLUMN] = to_json(decision)
    # Everything adapted before the transaction: on SQLite it holds the only write lock.
    # Rows in event_id order: two requests carrying the same events (a retry while the first
    # is still running) wait on each other's keys in the same order, never in a cycle.
    rows.sort(key=itemgetter(0))
    insert = Prepared(bulk_insert_sql(MdsEvent, EVENT_COLUMNS), rows)
    state_advance = advance_state_prepare(latest)
    with transaction.atomic():
        if insert.run() != len(rows) and not look_for_stored:
            raise StoredBefore  # rolls back the insert, the only write so far
        state_advance.run()
        unregistered_record(operator=operator, device_ids=dict(unregistered))
        batch_audit(operator, "mds.events_ingest", result)
        if judgement is not None or moved:
            undo = partial(decisions_clear, MdsEvent, "event_id", list(inline))
            call_hooks(judgement, moved, undo_inline=undo)
    return result


def event_checked(item: Any, operator: Operator, max_ms: int) -> tuple:
    """One item through the item checks (`nuanxin.mds.validate`): the parsed values, or
    ItemError naming what is wrong."""
    if not isinstance(item, dict):
        raise v.bad("item", _("每一项必须是 JSON 对象。"))
    event_id = v.as_uuid_text(item, "event_id")
    device_id = v.as_uuid_text(item, "device_id")
    provider_check(item, operator)
    state = v.as_state(item)
    types = v.as_event_types(item, state)
    _ms, at = v.as_timestamp(item, "timestamp", max_ms=max_ms)  # type: ignore[misc]
    pub = v.as_timestamp(item, "publication_time", max_ms=max_ms, required=False)
    geographies = v.event_extras_check(item)
    loc = v.as_location(item, "location", required=not geographies)
    battery = v.as_percent(item, "battery_percent")
    trip_ids = v.as_uuid_list(item, "trip_ids")
    ticket = v.as_text(item, "associated_ticket") or ""
    beacons = v.as_beacons(item)
    lat, lng, acc = loc if loc else (None, None, None)
    return (
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
    )


def event_observe(
    parked: list[hooks.ParkedObservation],
    moved: list[hooks.MovedObservation],
    bike_id: int,
    operator_id: int,
    event_id: str,
    state: str,
    types: list[str],
    at: datetime,
    lat: float | None,
    lng: float | None,
    accuracy_m: float | None,
    beacons: list[str],
) -> None:
    """What one event tells the compliance engine: the bike was parked (after trip_end /
    provider_drop_off, or in state available, with a location), or moved (a pick-up, a trip
    start, or a state away from the street). Appends to `parked` / `moved`; positional
    arguments because ingest calls it for every event of a batch."""
    parked_now = state == "available" or PARKED_EVENT_TYPES.intersection(types)
    if lat is not None and lng is not None and parked_now:
        parked.append(
            hooks.ParkedObservation(
                bike_id, operator_id, at, lat, lng, accuracy_m, "event", event_id, tuple(beacons)
            )
        )
    reason = next((t for t in MOVED_EVENT_TYPES if t in types), None)
    if reason is None and state in ("on_trip", "removed", "reserved"):
        reason = state
    if reason:
        moved.append(hooks.MovedObservation(bike_id, operator_id, at, reason, event_id))


STATE_UPDATE = (
    f"UPDATE {Bike._meta.db_table} SET vehicle_state = %s, last_event_types = %s, "
    "state_at = %s, battery_percent = COALESCE(%s, battery_percent) "
    "WHERE id = %s AND (state_at IS NULL OR state_at < %s)"
)
# Both at once, for a bike whose state and position on record are both older than its
# newest event (the common case): one row rewrite instead of two.
STATE_AND_POSITION_UPDATE = (
    f"UPDATE {Bike._meta.db_table} SET vehicle_state = %s, last_event_types = %s, "
    "state_at = %s, battery_percent = COALESCE(%s, battery_percent), "
    "lat = %s, lng = %s, accuracy_m = %s, position_at = %s "
    "WHERE id = %s AND (state_at IS NULL OR state_at < %s) "
    "AND (position_at IS NULL OR position_at < %s)"
)


@dataclass(slots=True)
class StateAdvance:
    """The UPDATEs that move each bike to its newest state and position, each guarded by
    its own timestamp, so that out-of-order input never rolls either back."""

    both: Prepared  # STATE_AND_POSITION_UPDATE: both on record were older when looked up
    states: Prepared  # STATE_UPDATE, for the other bikes
    positions: Prepared  # POSITION_UPDATE, for the other bikes with a position

    def run(self) -> None:
        if self.both.run() != len(self.both.params):
            # A bike of `both` moved on between the look-up and this transaction (another
            # batch): each part again under its own guard. The rows `both` did change are
            # left alone by those guards (no longer older). A combined row is
            # (state, types, ts, battery, lat, lng, acc, ts, bike, ts, ts).
            rows = self.both.params
            Prepared(STATE_UPDATE, [[*r[:4], r[8], r[9]] for r in rows]).run()
            Prepared(POSITION_UPDATE, [r[4:10] for r in rows]).run()
        self.states.run()
        self.positions.run()


def advance_state_prepare(latest: dict[int, tuple]) -> StateAdvance:
    """The state advance of a batch (`StateAdvance`), adapted before the transaction.
    `latest`: each bike's newest event of the batch and its state_at / position_at on record
    (from `devices_resolve`, before the transaction). A bike whose state and position on
    record are both older gets one UPDATE of both (one row rewrite, not two); any other
    gets each part under its own guard. (One statement with a CASE guard per column measured
    no faster than two.)"""
    both: list[list] = []
    states: list[list] = []
    positions: list[list] = []
    to_ts, types_bound = adapter("datetime"), types_binder()
    # In bike id order: two batches touching the same bikes lock their rows in the same
    # order, so on PostgreSQL they queue instead of deadlocking.
    for bike_id, (state, types, at, lat, lng, acc, battery, state_at, position_at) in sorted(
        latest.items()
    ):
        ts = to_ts(at)
        state_row = [state, types_bound(types), ts, battery, bike_id, ts]
        if lat is None:
            states.append(state_row)
        elif (state_at is None or state_at < ts) and (position_at is None or position_at < ts):
            both.append([*state_row[:4], lat, lng, acc, ts, bike_id, ts, ts])
        else:
            states.append(state_row)
            positions.append([lat, lng, acc, ts, bike_id, ts])
    return StateAdvance(
        Prepared(STATE_AND_POSITION_UPDATE, both),
        Prepared(STATE_UPDATE, states),
        Prepared(POSITION_UPDATE, positions),
    )
