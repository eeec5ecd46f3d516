"""Item checks for MDS Agency input. Hand-written (not pydantic) for speed and MDS error codes.

Each checker returns a parsed tuple or raises ItemError(error, description, details).
Messages are translated; `details` name the offending field, MDS style ("location.lat").
"""

from __future__ import annotations

import math
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
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
MAX_INTEGER = 2**31 - 1  # the integer columns (PositiveIntegerField) on every database

# Enumerations of the official MDS 2.0 schema, copied exactly (the schema files are not
# deployed with the application; tests/mds/test_agency_schema.py compares each copy with
# its file under shared/reference/schemas/mds-2.0/models):
# modes/micromobility/trip.yaml `trip_type.items.enum` (and `maxItems: 1`)
TRIP_TYPES = frozenset(["rider", "rebalance", "maintenance"])
# trip.yaml `parking_category.enum`
PARKING_CATEGORIES = frozenset(["corral", "curb", "rack", "other_valid", "invalid"])
# modes/micromobility/accessibility-attributes.yaml `items.enum`
ACCESSIBILITY_ATTRIBUTES = frozenset(["adaptive"])
# telemetry.yaml `location_type.enum`
LOCATION_TYPES = frozenset(["street", "sidewalk", "crosswalk", "garage", "bike_lane"])
# data-types/currency.yaml `pattern`
CURRENCY_RE = re.compile(r"[A-Z]{3}")
# data-types/gps.yaml: the optional numbers of a location besides horizontal_accuracy
# (`satellites` is an integer-positive).
LOCATION_NUMBERS = ("altitude", "heading", "speed", "vertical_accuracy")


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


def shown(value: Any) -> str:
    """A value as the operator sent it, for a message: JSON, cut to 60 characters."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = orjson.dumps(value).decode()
        except TypeError:
            text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not value.is_integer())  # also inf, nan
    ):
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


def as_number(value: Any, key: str, lo: float = -math.inf, hi: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad(key, _("%(field)s 必须是数字。") % {"field": key})
    try:
        number = float(value)  # an integer beyond the doubles overflows
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):  # also NaN, which Python's json reads (the pull)
        raise bad(key, _("%(field)s 必须是数字。") % {"field": key})
    if not lo <= number <= hi:
        raise bad(
            key, _("%(field)s 超出取值范围 [%(lo)s, %(hi)s]。") % {"field": key, "lo": lo, "hi": hi}
        )
    return number


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
    for name in LOCATION_NUMBERS:
        if loc.get(name) is not None:
            as_number(loc[name], f"{key}.{name}")
    as_int(loc, "satellites", required=False, path=f"{key}.satellites")
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
    if not isinstance(state, str) or state not in STATE_EVENTS:  # a list is unhashable
        raise bad("vehicle_state", _("vehicle_state 无效：%(v)s") % {"v": shown(state)})
    return state


def as_int(item: dict, key: str, *, required: bool, path: str = "") -> int | None:
    """A non-negative integer (MDS integer-positive); `path` names it in errors when it is
    not at the top level ("location.satellites")."""
    value = item.get(key)
    if value is None:
        if required:
            raise missing(path or key)
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise bad(path or key, _("%(field)s 必须是非负整数。") % {"field": path or key})
    if value > MAX_INTEGER:
        raise bad(
            path or key,
            _("%(field)s 超出取值范围 [%(lo)s, %(hi)s]。")
            % {"field": path or key, "lo": 0, "hi": MAX_INTEGER},
        )
    return value


# --- optional fields of the official schema beyond our columns ----------------------------
# Kept verbatim in `payload` and published again (GET /vehicles/status, trips), so checked
# as the schema defines them. Null is read as absent, as for every optional field. Only the
# item checks see these: the compiled fast path (validate_fast) refuses unknown fields, so an
# item carrying any of them comes here.


def as_text(item: dict, key: str) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad(key, _("%(field)s 必须是字符串。") % {"field": key})
    return value


def as_enum(item: dict, key: str, allowed: frozenset[str]) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or value not in allowed:
        raise bad(
            key,
            _("%(field)s 无效：%(v)s（可选值：%(allowed)s）")
            % {"field": key, "v": shown(value), "allowed": ", ".join(sorted(allowed))},
        )
    return value


def as_enum_list(
    item: dict, key: str, allowed: frozenset[str], *, max_items: int | None = None
) -> list[str] | None:
    """An optional array of distinct values of `allowed` (at most `max_items`)."""
    value = item.get(key)
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or not all(isinstance(v, str) and v in allowed for v in value)
        or len(set(value)) != len(value)
        or (max_items is not None and len(value) > max_items)
    ):
        raise bad(
            key,
            _("%(field)s 必须是不重复的取值数组（可选值：%(allowed)s，最多 %(n)s 项）。")
            % {
                "field": key,
                "allowed": ", ".join(sorted(allowed)),
                "n": max_items if max_items is not None else len(allowed),
            },
        )
    return value


def as_object(item: dict, key: str) -> dict | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad(key, _("%(field)s 必须是 JSON 对象。") % {"field": key})
    return value


def as_bool(item: dict, key: str) -> bool | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise bad(key, _("%(field)s 必须是布尔值 true 或 false。") % {"field": key})
    return value


URI_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+")


def as_uri(item: dict, key: str) -> str | None:
    """An optional absolute URI (scheme:rest, no spaces), as `format: uri` asks."""
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or URI_RE.fullmatch(value) is None:
        raise bad(key, _("%(field)s 必须是完整的 URI（如 https://…）。") % {"field": key})
    return value


def as_currency(item: dict, key: str) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or CURRENCY_RE.fullmatch(value) is None:
        raise bad(
            key, _("%(field)s 必须是 ISO 4217 三位大写字母货币代码，如 CNY。") % {"field": key}
        )
    return value


def event_extras_check(item: dict) -> list[str]:
    """The optional fields of models/event.yaml that have no column; returns the
    event_geographies (an event with some needs no location)."""
    as_uuid(item, "data_provider_id", required=False)
    as_percent(item, "fuel_percent")
    return as_uuid_list(item, "event_geographies")


def telemetry_extras_check(item: dict) -> None:
    """The optional fields of models/telemetry.yaml that have no column."""
    as_uuid(item, "data_provider_id", required=False)
    as_uuid(item, "stop_id", required=False)
    as_enum(item, "location_type", LOCATION_TYPES)
    as_percent(item, "fuel_percent")
    as_bool(item, "tipped_over")


def trip_extras_check(item: dict, *, max_ms: int) -> None:
    """The optional fields of models/trip.yaml and modes/micromobility/trip.yaml (a trip is
    stored whole in `payload`)."""
    as_uuid(item, "data_provider_id", required=False)
    as_enum_list(item, "trip_type", TRIP_TYPES, max_items=1)
    as_object(item, "trip_attributes")
    as_object(item, "fare_attributes")
    as_timestamp(item, "publication_time", max_ms=max_ms, required=False)
    as_enum_list(item, "accessibility_attributes", ACCESSIBILITY_ATTRIBUTES)
    as_uri(item, "parking_verification_url")
    as_enum(item, "parking_category", PARKING_CATEGORIES)
    as_int(item, "standard_cost", required=False)
    as_int(item, "actual_cost", required=False)
    as_currency(item, "currency")
