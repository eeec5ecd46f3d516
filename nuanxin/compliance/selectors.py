"""Reads of compliance decisions, stored and inline.

A decision is either a ParkingCheck row (outside, uncertain, and every decision made
outside ingest) or, for an ingested event or telemetry point judged in spot, kept on the
event or point itself (`MdsEvent.decision`, `Telemetry.decision`; see
`writes.Decision.inline_json`). Readers get both as ParkingCheck instances: an inline one
is unsaved (`pk` None) and explains itself the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from heapq import merge
from typing import Any

from django.db.models import QuerySet

from nuanxin.bikes.access import operator_ids_for
from nuanxin.bikes.models import Operator, Spot, SpotVersion
from nuanxin.compliance.access import parking_checks_visible
from nuanxin.compliance.models import ParkingCheck, Verdict
from nuanxin.core.access import not_found
from nuanxin.mds.models import MdsEvent, Telemetry


def check_from_event(event: MdsEvent) -> ParkingCheck:
    """The decision kept on an event, as an unsaved ParkingCheck (its explanation included)."""
    return _check_from_row(event, source="event", source_id=str(event.event_id))


def check_from_telemetry(point: Telemetry) -> ParkingCheck:
    """The decision kept on a telemetry point, as an unsaved ParkingCheck."""
    return _check_from_row(point, source="telemetry", source_id=str(point.telemetry_id))


def _check_from_row(row: MdsEvent | Telemetry, *, source: str, source_id: str) -> ParkingCheck:
    d, lat, lng = row.decision, row.lat, row.lng
    if not d or lat is None or lng is None:  # only a parked bike's position has one
        raise ValueError(f"{source} {source_id} carries no decision")
    check = ParkingCheck(
        id=None,
        bike_id=row.bike_id,
        operator_id=row.operator_id,
        observed_at=row.timestamp,
        lat=lat,
        lng=lng,
        accuracy_m=row.accuracy_m,
        accuracy_used_m=d["accuracy_used_m"],
        tolerance_m=d["tolerance_m"],
        beacon_ids=list(row.beacon_ids or []),
        source=source,
        source_id=source_id,
        verdict=d["verdict"],
        rule=d["rule"],
        spot_id=d["spot_id"],
        spot_version_id=d["spot_version_id"],
        distance_m=d["distance_m"],
        beacon_confirmed=d["beacon_confirmed"],
        spots_stamp=d["spots_stamp"],
        created_at=row.received_at,
    )
    if type(row).bike.is_cached(row):
        check.bike = row.bike
    return check


# Where an inline decision is kept, by ParkingCheck.source: (model, id field, reader).
KEPT_ON: dict[str, tuple[Any, str, Callable[[Any], ParkingCheck]]] = {
    "event": (MdsEvent, "event_id", check_from_event),
    "telemetry": (Telemetry, "telemetry_id", check_from_telemetry),
}


def checks_explained(checks: list[ParkingCheck]) -> list[ParkingCheck]:
    """Load the spot and spot version that `ParkingCheck.explanation()` names, for all the
    checks in two queries (instead of two per check); returns the same list."""
    spots = Spot.objects.in_bulk({c.spot_id for c in checks if c.spot_id})
    versions = SpotVersion.objects.in_bulk({c.spot_version_id for c in checks if c.spot_version_id})
    for c in checks:
        if c.spot_id and not ParkingCheck.spot.is_cached(c):
            c.spot = spots.get(c.spot_id)
        if c.spot_version_id and not ParkingCheck.spot_version.is_cached(c):
            c.spot_version = versions.get(c.spot_version_id)
    return checks


def inline_decisions(
    principal: Any,
    *,
    plate: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[ParkingCheck]:
    """The newest decisions kept on events and telemetry points that this principal may see,
    newest first. Two queries per operator in scope (events, points), each walking its
    table's (operator, timestamp) index backwards."""
    scope = operator_ids_for(principal)
    operator_ids = (
        sorted(scope) if scope is not None else list(Operator.objects.values_list("pk", flat=True))
    )
    per_source = []
    for model, _key, to_check in KEPT_ON.values():
        base = model.objects.filter(decision__isnull=False).select_related("bike")
        if plate:
            base = base.filter(bike__plate=plate)
        if since:
            base = base.filter(timestamp__gte=since)
        for op in operator_ids:
            rows = base.filter(operator_id=op).order_by("-timestamp", "-pk")[:limit]
            per_source.append(map(to_check, rows))
    newest = merge(*per_source, key=lambda c: c.observed_at, reverse=True)
    return checks_explained([c for _, c in zip(range(limit), newest, strict=False)])


def decisions_list(
    principal: Any,
    *,
    plate: str | None = None,
    verdict: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[ParkingCheck]:
    """Every decision this principal may see, stored and inline, newest first."""
    limit = max(1, min(limit, 1000))
    qs: QuerySet[ParkingCheck] = parking_checks_visible(principal)
    if plate:
        qs = qs.filter(bike__plate=plate)
    if verdict:
        qs = qs.filter(verdict=verdict)
    if since:
        qs = qs.filter(observed_at__gte=since)
    stored = list(qs.order_by("-observed_at", "-pk")[:limit])
    inline: list[ParkingCheck] = []
    if verdict in (None, "", Verdict.IN_SPOT):
        inline = inline_decisions(principal, plate=plate, since=since, limit=limit)
    newest = merge(stored, inline, key=lambda c: c.observed_at, reverse=True)
    return [c for _, c in zip(range(limit), newest, strict=False)]


def access_decision_by_source(principal: Any, source: str, source_id: str) -> ParkingCheck:
    """The decision about one observation (an event or telemetry id), stored or inline;
    not found unless the principal may see its bike."""
    check = parking_checks_visible(principal).filter(source=source, source_id=source_id).first()
    if check is not None:
        return check
    kept_on = KEPT_ON.get(source)
    if kept_on is None:
        raise not_found()
    model, key, to_check = kept_on
    try:
        row_id = uuid.UUID(source_id)
    except ValueError:
        raise not_found() from None
    scope = operator_ids_for(principal)
    rows = model.objects.filter(decision__isnull=False).select_related("bike")
    if scope is not None:
        rows = rows.filter(operator_id__in=scope)
    row = rows.filter(**{key: row_id}).first()
    if row is None:
        raise not_found()
    return checks_explained([to_check(row)])[0]
