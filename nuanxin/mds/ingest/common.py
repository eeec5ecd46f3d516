"""MDS Agency ingest: events, telemetry, trips. The hot path of the bikes platform.

The batch contract (the body, its items, the result) is batch.py; these are the shared
steps. One request = one batch (≤ max_batch_items). For each batch:
1. every item is checked in Python (nuanxin.mds.validate), duplicates within the batch refused;
2. one query resolves all device_ids, one query finds ids already stored (idempotency);
3. accepted rows are inserted with executemany, the bikes' latest state is advanced only where the
   item is newer (out-of-order events never roll state back), refusals for unregistered bikes are
   counted, and one audit row records the batch — all in one transaction;
4. parked observations are classified before the transaction (pure CPU, so SQLite's single
   writer is held only for writes), and the judgement and the moved bikes are stored by the
   compliance engine (nuanxin.compliance.hooks) in the same transaction, under a savepoint.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import shapely
from django.db import OperationalError, connection, transaction
from django.utils.translation import gettext as _
from shapely.geometry import shape

from nuanxin.audit.services import audit_record
from nuanxin.bikes.models import Bike, Operator
from nuanxin.bikes.policy import bike_policy
from nuanxin.compliance import hooks
from nuanxin.lib.env import envbool
from nuanxin.lib.gcpause import collector_paused
from nuanxin.mds import validate as v
from nuanxin.mds.fastdb import (
    RawJson,
    adapter,
    bulk_execute,
    datetime_select,
    json_text,
    select_in,
    uuid_key,
)
from nuanxin.mds.ingest.batch import BulkResult
from nuanxin.orgs.models import Bureau

if TYPE_CHECKING:
    from nuanxin.compliance.services import Judgement

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


# --- shared steps (events, telemetry and trips modules use them) -------------------------------------------------------------------------


def operator_prepare(operator: Operator) -> None:
    operator.provider_id_text = str(operator.provider_id)  # type: ignore[attr-defined]


NO_EXTRAS = RawJson("{}")  # the payload of an item with nothing beyond the columns

_TYPES_BOUND: dict[str, dict[tuple[str, ...], Any]] = {}


def types_binder() -> Callable[[list[str]], Any]:
    """event_types as the database binds them (JSON, adapted), kept per distinct list: a
    batch has a handful of them, and each event writes its list twice (the event and the
    bike's state). Call once per batch: the adapter depends on the database."""
    vendor = connection.vendor
    bound = _TYPES_BOUND.setdefault(vendor, {})
    to_json = adapter("json")

    def types_bound(types: list[str]) -> Any:
        key = tuple(types)
        found = bound.get(key)
        if found is None:
            found = bound[key] = to_json(RawJson(json_text(list(key))))
        return found

    return types_bound


def extras_json(item: dict, known: frozenset[str]) -> RawJson:
    more = v.extras(item, known)
    return RawJson(json_text(more) if more else "{}")


class CityBoundary:
    """Prepared bureau boundary; vectorised point-in-city for a whole batch."""

    _cache: tuple[str, Any] | None = None

    @classmethod
    def geometry(cls) -> Any:
        # The boundary as stored text: compared with the cached one, parsed only on a change
        # (decoding the GeoJSON for every batch cost more than the containment test).
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT CAST(boundary AS TEXT) FROM {Bureau._meta.db_table} "
                "WHERE boundary IS NOT NULL AND CAST(boundary AS TEXT) != 'null' "
                "ORDER BY id LIMIT 1"
            )
            row = cursor.fetchone()
        if row is None:
            return None
        text = row[0]
        if cls._cache is None or cls._cache[0] != text:
            geom = shape(orjson.loads(text))
            shapely.prepare(geom)
            cls._cache = (text, geom)
        return cls._cache[1]

    @classmethod
    def inside(cls, lats: list[float], lngs: list[float]) -> list[bool]:
        geom = cls.geometry()
        if geom is None or not lats:
            return [True] * len(lats)
        # tolist(): Python bools, as annotated (list() would give numpy.bool scalars).
        return shapely.contains_xy(geom, np.asarray(lngs), np.asarray(lats)).tolist()


def select_by_uuid(sql: str, ids: Sequence[uuid.UUID | str]) -> list[tuple]:
    """`fastdb.select_in` over UUIDs (`{ids}` in `sql`); the first column back as its 32 hex
    digits (`fastdb.uuid_key`), whatever the database returns."""
    to_db = adapter("uuid")
    rows = select_in(sql, [to_db(i) for i in ids])
    return [(r[0] if isinstance(r[0], str) else r[0].hex, *r[1:]) for r in rows]


# What `devices_resolve` gives per bike: (id, operator id, vehicle_state, state_at,
# position_at), the times comparable with the "datetime" adapter's values (`datetime_select`).
KnownBike = tuple[int, int, str, Any, Any]


def devices_resolve(device_ids: Iterable[uuid.UUID | str]) -> dict[str, KnownBike]:
    """One query: device_id → `KnownBike`, keyed by `uuid_key(device_id)`."""
    if not device_ids:
        return {}
    rows = select_by_uuid(
        f"SELECT device_id, id, operator_id, vehicle_state, {datetime_select('state_at')}, "
        f"{datetime_select('position_at')} FROM {Bike._meta.db_table} "
        "WHERE device_id IN ({ids})",
        list(device_ids),
    )
    return {row[0]: row[1:] for row in rows}  # type: ignore[misc]


def now_ms() -> int:
    return int(time.time() * 1000)


def latest_allowed_ms() -> int:
    return now_ms() + bike_policy().clock_skew_tolerance_seconds * 1000


def unregistered_error() -> v.ItemError:
    return v.ItemError(
        "unregistered", _("该 device_id 未登记。请先通过 POST /vehicles 登记。"), ["device_id"]
    )


def not_yours_error() -> v.ItemError:
    return v.ItemError(
        "unregistered",
        _("该 device_id 不属于本企业，只能上报本企业登记的车辆。"),
        ["device_id: registered to another provider"],
    )


def foreign_id_error(key: str) -> v.ItemError:
    return v.ItemError("bad_param", _("%(field)s 已被其他运营企业使用。") % {"field": key}, [key])


def outside_error(key: str) -> v.ItemError:
    return v.ItemError(
        "bad_param", _("位置不在本市管辖范围内。"), [f"{key}: outside the city boundary"]
    )


def provider_check(item: dict, operator: Operator) -> None:
    if item.get("provider_id") == operator.provider_id_text:  # type: ignore[attr-defined]
        return
    provider = v.as_uuid(item, "provider_id")
    if provider != operator.provider_id:
        raise v.bad("provider_id", _("provider_id 与令牌所属运营企业不符。"))


def split_known(
    *,
    operator: Operator,
    parsed: list[tuple[int, Any, Any]],
    result: BulkResult,
    device_of: Any,
) -> tuple[list[tuple[int, Any, Any, KnownBike]], dict[str, list[str]]]:
    """Resolve device_ids: accept own bikes, refuse unregistered and others' bikes. The
    unregistered ones come back as {device_id: the refused items' ids (p[0])}, so that a
    retried item is counted against the operator once (`unregistered_record`)."""
    devices = devices_resolve({device_of(p) for _i, _item, p in parsed})
    known = []
    unregistered: dict[str, list[str]] = {}
    for index, item, p in parsed:
        bike = devices.get(uuid_key(device_of(p)))
        if bike is None:
            unregistered.setdefault(device_of(p), []).append(str(p[0]))
            result.fail_at(index, unregistered_error())
        elif bike[1] != operator.pk:
            result.fail_at(index, not_yours_error())
        else:
            known.append((index, item, p, bike))
    return known, unregistered


class StoredBefore(Exception):
    """Raised inside an ingest pass whose INSERT stored fewer rows than it built: some ids
    were stored before (a retried batch, most likely). See `ingest_passes`."""


def ingest_passes(run: Callable[..., BulkResult]) -> BulkResult:
    """Run an ingest pass, `run(look_for_stored=False)`: fresh ids are the rule, so it does
    not look up which ids are stored already; its INSERT skips them (ON CONFLICT DO
    NOTHING) and, when it stored fewer rows than it built, raises StoredBefore before
    anything else is written, rolling the pass back. The batch then runs again with
    `look_for_stored=True`, which finds them first: the operator's own repeats count as
    successes and are not evaluated again, another operator's ids are refused. Both passes
    run with the cyclic collector paused (`collector_paused`)."""
    with collector_paused():
        try:
            return run(look_for_stored=False)
        except StoredBefore:
            return run(look_for_stored=True)


def existing_ids(model: type, key: str, ids: Sequence[uuid.UUID | str]) -> dict[str, int]:
    """Which of these ids are stored already, and by which operator: {uuid_key(id): op}."""
    if not ids:
        return {}
    table = model._meta.db_table  # type: ignore[attr-defined]
    rows = select_by_uuid(f"SELECT {key}, operator_id FROM {table} WHERE {key} IN ({{ids}})", ids)
    return dict(rows)  # type: ignore[arg-type]


def already_stored(
    existing: dict[str, int],
    item_id: uuid.UUID | str,
    *,
    key: str,
    index: int,
    operator: Operator,
    result: BulkResult,
) -> bool:
    """True when the item's id is stored already (`existing`: from `existing_ids`): the same
    operator's repeat counts as a success (idempotent, nothing to do), another operator's id
    is refused. Either way the item is not stored again."""
    owner = existing.get(uuid_key(item_id)) if existing else None
    if owner is None:
        return False
    if owner == operator.pk:
        result.success += 1
    else:
        result.fail_at(index, foreign_id_error(key))
    return True


def call_hooks(
    judgement: Judgement | None,
    moved: list[hooks.MovedObservation],
    undo_inline: Callable[[], None] | None = None,
) -> None:
    """Store the batch's evaluation inside the batch's transaction, under a savepoint: the
    events and the decisions commit together (one commit per batch). A database conflict
    (a PostgreSQL deadlock with the penalty job) is retried once; if evaluation still fails,
    the events commit anyway and `manage.py mds_reevaluate` evaluates them later.
    `undo_inline`: clears the decisions the batch wrote onto its events, when evaluation
    failed: an event keeping one would count as decided, and the replay would skip it."""
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                hooks.batch_apply(judgement=judgement, moved=moved)
            return
        except OperationalError:
            if attempt == 1:
                continue
            log.exception("compliance evaluation failed twice during ingest; the batch is stored")
        except Exception:
            log.exception("compliance evaluation failed during ingest; the batch is stored")
        if undo_inline is not None:
            undo_inline()
        return


def decisions_inline(judgement: Judgement | None) -> dict[str, dict]:
    """The batch's decisions kept on their events or points (`Decision.inline`):
    {source_id: `Decision.inline_json()`}."""
    if judgement is None:
        return {}
    return {d.source_id: d.inline_json() for d in judgement.decisions if d.inline}


def decisions_clear(model: type, key: str, ids: list[str]) -> None:
    """Clear the decisions a batch wrote onto its rows (`model` by its `key`), when their
    evaluation failed and rolled back: an event or point keeping one would count as decided
    (`mds_reevaluate` would skip the event)."""
    if ids:
        model.objects.filter(**{f"{key}__in": ids}).update(decision=None)  # type: ignore[attr-defined]


def judge_parked(
    parked: list[hooks.ParkedObservation], *, inline: bool = False
) -> Judgement | None:
    """Classify the batch's parked bikes before the write transaction (pure CPU)."""
    if not parked:
        return None
    try:
        return hooks.parked_bikes_judge(observations=parked, inline=inline)
    except Exception:
        log.exception("compliance classification failed during ingest; the batch is stored")
        return None


def evaluation_enabled() -> bool:
    """MDS_INGEST_EVALUATE=0 stores without evaluating (bulk back-fills, benchmarks)."""
    return envbool("MDS_INGEST_EVALUATE", True)


POSITION_UPDATE = (
    f"UPDATE {Bike._meta.db_table} SET lat = %s, lng = %s, accuracy_m = %s, position_at = %s "
    "WHERE id = %s AND (position_at IS NULL OR position_at < %s)"
)


def advance_position(pos_params: list[tuple]) -> None:
    bulk_execute(POSITION_UPDATE, pos_params)


def batch_audit(operator: Operator, action: str, result: BulkResult) -> None:
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
