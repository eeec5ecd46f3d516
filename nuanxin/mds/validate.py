"""Item checks for MDS Agency input. Hand-written (not pydantic) for speed and MDS error codes.

Each checker returns a parsed tuple or raises ItemError(error, description, details).
Messages are translated; `details` name the offending field, MDS style ("location.lat").
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

# MDS 2.0 micromobility: event types allowed in each vehicle_state (modes/micromobility/event.yaml).
STATE_EVENTS: dict[str, frozenset[str]] = {
    "removed": frozenset(
        [
            "agency_pick_up",
            "comms_restored",
            "compliance_pick_up",
            "decommissioned",
            "located",
            "maintenance_pick_up",
            "rebalance_pick_up",
            "unspecified",
        ]
    ),
    "available": frozenset(
        [
            "agency_drop_off",
            "battery_charged",
            "comms_restored",
            "located",
            "maintenance",
            "on_hours",
            "provider_drop_off",
            "reservation_cancel",
            "system_resume",
            "trip_cancel",
            "trip_end",
            "unspecified",
        ]
    ),
    "non_operational": frozenset(
        [
            "battery_low",
            "comms_restored",
            "located",
            "maintenance",
            "off_hours",
            "system_suspend",
            "unspecified",
        ]
    ),
    "reserved": frozenset(["comms_restored", "located", "reservation_start", "unspecified"]),
    "on_trip": frozenset(
        [
            "changed_geographies",
            "comms_restored",
            "located",
            "trip_enter_jurisdiction",
            "trip_start",
            "unspecified",
        ]
    ),
    "non_contactable": frozenset(["comms_lost", "unspecified"]),
    "missing": frozenset(["not_located", "unspecified"]),
    "elsewhere": frozenset(["comms_restored", "located", "trip_leave_jurisdiction", "unspecified"]),
}
MIN_TIMESTAMP_MS = 1514764800000  # MDS data-types/timestamp minimum (2018-01-01)


class ItemError(Exception):
    def __init__(self, error: str, description: str, details: list[str]) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.details = details


def missing(*fields: str) -> ItemError:
    return ItemError("missing_param", _("缺少必填字段。"), list(fields))


def bad(field: str, description: str) -> ItemError:
    return ItemError("bad_param", description, [field])


def as_uuid(item: dict, key: str, *, required: bool = True) -> uuid.UUID | None:
    value = item.get(key)
    if value is None:
        if required:
            raise missing(key)
        return None
    if not isinstance(value, str) or len(value) != 36:
        raise bad(key, _("%(field)s 必须是 UUID 字符串。") % {"field": key})
    try:
        return uuid.UUID(value)
    except ValueError:
        raise bad(key, _("%(field)s 必须是 UUID 字符串。") % {"field": key}) from None


UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def as_uuid_text(item: dict, key: str) -> str:
    """A required UUID as its canonical text (lower case, with hyphens), for the hot paths
    that only compare and store ids: no uuid.UUID object per item (the fastdb adapters
    convert at the database)."""
    value = item.get(key)
    if value is None:
        raise missing(key)
    if not isinstance(value, str) or UUID_RE.fullmatch(value) is None:
        raise bad(key, _("%(field)s 必须是 UUID 字符串。") % {"field": key})
    return value.lower()


def as_uuid_list(item: dict, key: str) -> list[str]:
    value = item.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad(key, _("%(field)s 必须是 UUID 数组。") % {"field": key})
    for v in value:
        if not isinstance(v, str) or UUID_RE.fullmatch(v) is None:
            raise bad(key, _("%(field)s 必须是 UUID 数组。") % {"field": key})
    return value


def uuid_list_json(value: list[str]) -> str:
    """JSON text of a validated UUID list (no escaping needed), without json.dumps."""
    return '["' + '","'.join(value) + '"]' if value else "[]"


EVENT_KEYS = frozenset(
    [
        "event_id",
        "device_id",
        "provider_id",
        "vehicle_state",
        "event_types",
        "timestamp",
        "publication_time",
        "location",
        "battery_percent",
        "trip_ids",
        "associated_ticket",
        "beacon_ids",
    ]
)
TELEMETRY_KEYS = frozenset(
    [
        "telemetry_id",
        "device_id",
        "provider_id",
        "timestamp",
        "trip_ids",
        "journey_id",
        "location",
        "battery_percent",
        "beacon_ids",
    ]
)
PLAIN_LOCATION_KEYS = frozenset(["lat", "lng", "horizontal_accuracy"])


def extras(item: dict, known: frozenset[str]) -> dict[str, Any]:
    """What an item carries beyond our columns (kept verbatim in `payload`)."""
    out = {k: val for k, val in item.items() if k not in known}
    loc = item.get("location")
    if isinstance(loc, dict) and not PLAIN_LOCATION_KEYS.issuperset(loc):
        out["location"] = loc
    return out


def as_timestamp(
    item: dict, key: str, *, max_ms: int, required: bool = True
) -> tuple[int, datetime] | None:
    value = item.get(key)
    if value is None:
        if required:
            raise missing(key)
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise bad(key, _("%(field)s 必须是毫秒整数时间戳。") % {"field": key})
    ms = int(value)
    if ms < MIN_TIMESTAMP_MS:
        raise bad(key, _("%(field)s 早于 2018-01-01，时间戳应为毫秒。") % {"field": key})
    if ms > max_ms:
        raise bad(
            key,
            _("%(field)s 晚于服务器时间，超出允许的时钟偏差。") % {"field": key},
        )
    return ms, datetime.fromtimestamp(ms / 1000, tz=UTC)


def as_number(value: Any, key: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad(key, _("%(field)s 必须是数字。") % {"field": key})
    if not lo <= value <= hi:
        raise bad(
            key, _("%(field)s 超出取值范围 [%(lo)s, %(hi)s]。") % {"field": key, "lo": lo, "hi": hi}
        )
    return float(value)


def as_location(
    item: dict, key: str, *, required: bool
) -> tuple[float, float, float | None] | None:
    loc = item.get(key)
    if loc is None:
        if required:
            raise missing(key)
        return None
    if not isinstance(loc, dict):
        raise bad(key, _("%(field)s 必须是包含 lat、lng 的对象。") % {"field": key})
    if "lat" not in loc or "lng" not in loc:
        raise missing(*[f"{key}.{k}" for k in ("lat", "lng") if k not in loc])
    lat = as_number(loc["lat"], f"{key}.lat", -90, 90)
    lng = as_number(loc["lng"], f"{key}.lng", -180, 180)
    acc = loc.get("horizontal_accuracy")
    if acc is not None:
        acc = as_number(acc, f"{key}.horizontal_accuracy", 0, 100000)
    return lat, lng, acc


def as_percent(item: dict, key: str) -> int | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise bad(key, _("%(field)s 必须是 0–100 的整数。") % {"field": key})
    return value


def as_beacons(item: dict) -> list[str]:
    """Extension: `beacon_ids` (Bluetooth road-stud ids the lock heard), top level or in location."""
    value = item.get("beacon_ids")
    if value is None and isinstance(item.get("location"), dict):
        value = item["location"].get("beacon_ids")
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad("beacon_ids", _("beacon_ids 必须是字符串数组。"))
    return value


def as_event_types(item: dict, state: str) -> list[str]:
    types = item.get("event_types")
    if types is None:
        raise missing("event_types")
    if not isinstance(types, list) or not types or not all(isinstance(t, str) for t in types):
        raise bad("event_types", _("event_types 必须是非空字符串数组。"))
    allowed = STATE_EVENTS[state]
    wrong = [t for t in types if t not in allowed]
    if wrong:
        raise bad(
            "event_types",
            _("事件类型 %(types)s 不能导致状态 %(state)s。")
            % {"types": ", ".join(wrong), "state": state},
        )
    return types


def as_state(item: dict) -> str:
    state = item.get("vehicle_state")
    if state is None:
        raise missing("vehicle_state")
    if state not in STATE_EVENTS:
        raise bad("vehicle_state", _("vehicle_state 无效：%(v)s") % {"v": state})
    return str(state)


def as_int(item: dict, key: str, *, required: bool) -> int | None:
    value = item.get(key)
    if value is None:
        if required:
            raise missing(key)
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise bad(key, _("%(field)s 必须是非负整数。") % {"field": key})
    return value
