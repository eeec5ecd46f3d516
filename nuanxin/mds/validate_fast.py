"""Compiled checks for the common case of MDS Agency events and telemetry: a whole
well-formed batch.

msgspec decodes and type-checks a request body in C, in about the time orjson takes to
parse it; the per-item checks of `nuanxin.mds.validate` cost ten times that. The fast path
accepts a subset of what the item checks accept and gives the same parsed values for it:
any item it cannot vouch for (a wrong type or range anywhere in the batch, an unknown
field, a foreign provider_id, an event type its state does not allow, a timestamp out of
range, an id that is not a canonical UUID) goes to the item checks, which say exactly
what is wrong. So the errors an operator sees never depend on which path ran.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec

from nuanxin.mds.validate import MIN_TIMESTAMP_MS, STATE_EVENTS, UUID_RE

Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]
Accuracy = Annotated[float, msgspec.Meta(ge=0, le=100000)]
Percent = Annotated[int, msgspec.Meta(ge=0, le=100)]
VehicleState = Literal[
    "removed",
    "available",
    "non_operational",
    "reserved",
    "on_trip",
    "non_contactable",
    "missing",
    "elsewhere",
]


class PlainLocation(msgspec.Struct, forbid_unknown_fields=True):
    """`location` with only the keys stored in columns (anything more is kept verbatim in
    `payload` by the item checks)."""

    lat: Latitude
    lng: Longitude
    horizontal_accuracy: Accuracy | None = None


class PlainEvent(msgspec.Struct, forbid_unknown_fields=True):
    """An MDS event with exactly the fields `nuanxin.mds.validate.EVENT_KEYS` names."""

    event_id: str
    device_id: str
    provider_id: str
    vehicle_state: VehicleState
    event_types: list[str]
    timestamp: int
    location: PlainLocation
    publication_time: int | None = None
    battery_percent: Percent | None = None
    trip_ids: list[str] | None = None
    associated_ticket: str | None = None
    beacon_ids: list[str] | None = None


_EVENTS = msgspec.json.Decoder(list[PlainEvent])

# What `events_ingest` builds per event: (event_id, device_id, state, types, timestamp,
# publication_time, lat, lng, accuracy, battery, trip_ids, ticket, beacons).
ParsedEvent = tuple[
    str,
    str,
    str,
    list[str],
    datetime,
    datetime | None,
    float,
    float,
    float | None,
    int | None,
    list[str],
    str,
    list[str],
]


def events_decode(body: bytes) -> list[PlainEvent] | None:
    """The batch as plain events, or None when any item needs the item checks."""
    try:
        return _EVENTS.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def event_parsed(event: PlainEvent, *, provider_id: str, max_ms: int) -> ParsedEvent | None:
    """The values the item checks would give this event, or None if they must look at it
    (they then accept or refuse it with their own message)."""
    if (
        event.provider_id != provider_id
        or UUID_RE.fullmatch(event.event_id) is None
        or UUID_RE.fullmatch(event.device_id) is None
        or not MIN_TIMESTAMP_MS <= event.timestamp <= max_ms
    ):
        return None
    types = event.event_types
    if not types or not STATE_EVENTS[event.vehicle_state].issuperset(types):
        return None
    published = event.publication_time
    if published is not None and not MIN_TIMESTAMP_MS <= published <= max_ms:
        return None
    trip_ids = event.trip_ids or []
    for trip_id in trip_ids:
        if UUID_RE.fullmatch(trip_id) is None:
            return None
    loc = event.location
    return (
        event.event_id.lower(),
        event.device_id.lower(),
        event.vehicle_state,
        types,
        datetime.fromtimestamp(event.timestamp / 1000, tz=UTC),
        None if published is None else datetime.fromtimestamp(published / 1000, tz=UTC),
        float(loc.lat),
        float(loc.lng),
        None if loc.horizontal_accuracy is None else float(loc.horizontal_accuracy),
        event.battery_percent,
        trip_ids,
        (event.associated_ticket or "")[:64],
        event.beacon_ids or [],
    )


Speed = Annotated[float, msgspec.Meta(ge=0, le=1000)]


class TelemetryLocation(msgspec.Struct, forbid_unknown_fields=True):
    """A telemetry `location`: the stored columns and `speed` (which the item checks keep
    in `payload` too, with the whole location)."""

    lat: Latitude
    lng: Longitude
    horizontal_accuracy: Accuracy | None = None
    speed: Speed | None = None


class PlainTelemetry(msgspec.Struct, forbid_unknown_fields=True):
    """An MDS telemetry point with exactly the fields `validate.TELEMETRY_KEYS` names."""

    telemetry_id: str
    device_id: str
    provider_id: str
    timestamp: int
    location: TelemetryLocation
    trip_ids: list[str] | None = None
    journey_id: str | None = None
    battery_percent: Percent | None = None
    beacon_ids: list[str] | None = None


_TELEMETRY = msgspec.json.Decoder(list[PlainTelemetry])

# What `telemetry_ingest` builds per point: (telemetry_id, device_id, timestamp, lat, lng,
# accuracy, speed, battery, trip_ids or None, journey_id, beacons); the ids as canonical
# text, as the events' (no uuid.UUID object per point: the fastdb adapters convert).
ParsedTelemetry = tuple[
    str,
    str,
    datetime,
    float,
    float,
    float | None,
    float | None,
    int | None,
    list[str] | None,
    uuid.UUID | None,
    list[str],
]


def telemetry_decode(body: bytes) -> list[PlainTelemetry] | None:
    """The batch as plain telemetry, or None when any item needs the item checks."""
    try:
        return _TELEMETRY.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def telemetry_parsed(
    point: PlainTelemetry, *, provider_id: str, max_ms: int
) -> ParsedTelemetry | None:
    """The values the item checks would give this point, or None if they must look at it."""
    journey = point.journey_id
    if (
        point.provider_id != provider_id
        or UUID_RE.fullmatch(point.telemetry_id) is None
        or UUID_RE.fullmatch(point.device_id) is None
        or (journey is not None and UUID_RE.fullmatch(journey) is None)
        or not MIN_TIMESTAMP_MS <= point.timestamp <= max_ms
    ):
        return None
    trip_ids = point.trip_ids
    for trip_id in trip_ids or ():
        if UUID_RE.fullmatch(trip_id) is None:
            return None
    loc = point.location
    return (
        point.telemetry_id.lower(),
        point.device_id.lower(),
        datetime.fromtimestamp(point.timestamp / 1000, tz=UTC),
        float(loc.lat),
        float(loc.lng),
        None if loc.horizontal_accuracy is None else float(loc.horizontal_accuracy),
        None if loc.speed is None else float(loc.speed),
        point.battery_percent,
        trip_ids,
        None if journey is None else uuid.UUID(journey),
        point.beacon_ids or [],
    )
