"""Evaluate stored events and telemetry again: the recovery path when a batch's evaluation
failed.

Ingest stores a batch and evaluates it in one transaction, the evaluation under a savepoint:
if the compliance step raises (a bug, a PostgreSQL deadlock retried once already), the
events stay stored and the failure is logged. `events_reevaluate` hands the stored events of
a time window to the compliance engine exactly as ingest would have, in timestamp order:

- parked events already decided are skipped (decisions are unique on their source event,
  and an in-spot decision made at ingest is kept on the event itself);
- a moved event only frees a spot the bike still occupies from before it, and only answers a
  notice opened for an earlier violation, so replaying one twice changes nothing;
- an old parked event never opens a notice when the bike has been seen since (only a bike's
  latest decision opens one), so replaying yesterday does not warn operators about yesterday.

`telemetry_reevaluate` does the same for telemetry points: a point is judged when ingest
would have judged it, a parked bike's (no trip, the bike `available`), and a point decided
already is skipped the same ways.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record
from nuanxin.bikes.models import Operator
from nuanxin.compliance import hooks
from nuanxin.core.errors import DomainError
from nuanxin.mds.fastdb import as_aware
from nuanxin.mds.ingest.events import event_observe
from nuanxin.mds.models import MdsEvent, Telemetry

REPLAY_CHUNK = 1000


@dataclass
class ReplayResult:
    events: int = 0  # events, or telemetry points, read from the window
    parked: int = 0
    moved: int = 0
    decided: Counter = field(default_factory=Counter)  # new decisions by verdict
    already_decided: int = 0


def events_reevaluate(
    *,
    since: datetime,
    until: datetime,
    operator: Operator | None = None,
    by_label: str = "system:replay",
    chunk: int = REPLAY_CHUNK,
) -> ReplayResult:
    """Evaluate again the events timestamped in [since, until) (one operator's, or all), in
    chunks of `chunk` events, one transaction each. One audit row sums up the run."""
    _window_check(since, until)
    events = MdsEvent.objects.filter(timestamp__gte=since, timestamp__lt=until)
    if operator is not None:
        events = events.filter(operator=operator)
    columns = (
        "event_id",
        "bike_id",
        "operator_id",
        "vehicle_state",
        "event_types",
        "timestamp",
        "lat",
        "lng",
        "accuracy_m",
        "beacon_ids",
        "decision",
    )
    result = ReplayResult()
    for rows in _pages(events, columns, chunk):
        _replay_chunk(rows, result)
    _replay_audit("mds.mdsevent", since, until, operator, by_label, result)
    return result


def telemetry_reevaluate(
    *,
    since: datetime,
    until: datetime,
    operator: Operator | None = None,
    by_label: str = "system:replay",
    chunk: int = REPLAY_CHUNK,
) -> ReplayResult:
    """Judge again the telemetry points timestamped in [since, until) (one operator's, or
    all) that ingest judges: a point without trip_ids of a bike that was `available` then.
    "Then" is the bike's latest event at or before the point (one probe of the events'
    (bike, timestamp) index per point); ingest used the state on record when the point
    arrived, which for a point that arrived late may be a later one. A bike with no event
    before the point was not yet on the street (registration leaves it `removed`). Points
    decided already (in spot, kept on the point; or a decision row) are not decided again.
    In chunks of `chunk` points, one transaction each; one audit row sums up the run."""
    _window_check(since, until)
    state_then = (
        MdsEvent.objects.filter(bike=OuterRef("bike"), timestamp__lte=OuterRef("timestamp"))
        .order_by("-timestamp", "-pk")
        .values("vehicle_state")[:1]
    )
    points = Telemetry.objects.filter(timestamp__gte=since, timestamp__lt=until)
    if operator is not None:
        points = points.filter(operator=operator)
    columns = (
        "telemetry_id",
        "bike_id",
        "operator_id",
        "timestamp",
        "lat",
        "lng",
        "accuracy_m",
        "beacon_ids",
        "trip_ids",
        "decision",
        "state_then",
    )
    result = ReplayResult()
    for rows in _pages(points.annotate(state_then=Subquery(state_then)), columns, chunk):
        _replay_points(rows, result)
    _replay_audit("mds.telemetry", since, until, operator, by_label, result)
    return result


def _window_check(since: datetime, until: datetime) -> None:
    if since.tzinfo is None or until.tzinfo is None:
        raise DomainError("naive_datetime", _("起止时间必须带时区。"))
    if since >= until:
        raise DomainError("empty_window", _("开始时间必须早于结束时间。"))


def _pages(rows: QuerySet, columns: tuple[str, ...], chunk: int) -> Iterator[list[tuple]]:
    """`columns` of `rows` in (timestamp, pk) order, `chunk` rows at a time, each page read
    whole before it is written about: no cursor stays open across the writes (SQLite shares
    one connection between them)."""
    after: Q | None = None
    while True:
        page = rows.filter(after) if after is not None else rows
        found = list(
            page.order_by("timestamp", "pk").values_list(*columns, "timestamp", "pk")[:chunk]
        )
        if not found:
            return
        yield [row[:-2] for row in found]
        last_at, last_pk = found[-1][-2:]
        after = Q(timestamp__gt=last_at) | Q(timestamp=last_at, pk__gt=last_pk)


def _replay_audit(
    object_type: str,
    since: datetime,
    until: datetime,
    operator: Operator | None,
    by_label: str,
    result: ReplayResult,
) -> None:
    """The run's summary row, in a transaction of its own after the chunks' (each chunk's
    decisions, and the notices they open, are audited in the chunk's transaction): a run
    stopped half-way leaves no summary, and running it again is harmless."""
    with transaction.atomic():
        audit_record(
            actor=None,
            actor_label=by_label,
            action="compliance.replay",
            object_type=object_type,
            object_id=f"{since.isoformat(timespec='seconds')}/{until.isoformat(timespec='seconds')}",
            after={
                "operator": operator.code if operator else None,
                "events": result.events,
                "parked": result.parked,
                "moved": result.moved,
                "decided": dict(result.decided),
                "already_decided": result.already_decided,
            },
        )


def _replay_chunk(rows: list[tuple], result: ReplayResult) -> None:
    parked: list[hooks.ParkedObservation] = []
    moved: list[hooks.MovedObservation] = []
    decided_inline = 0
    for event_id, bike_id, op_id, state, types, at, lat, lng, acc, beacons, decision in rows:
        n_parked = len(parked)
        event_observe(
            parked,
            moved,
            bike_id,
            op_id,
            str(event_id),
            state,
            list(types or []),
            as_aware(at),
            lat,
            lng,
            acc,
            list(beacons or []),
        )
        if decision is not None and len(parked) > n_parked:
            parked.pop()  # decided at ingest, in spot: the decision is kept on the event
            decided_inline += 1
    result.events += len(rows)
    result.parked += len(parked) + decided_inline
    result.already_decided += decided_inline
    result.moved += len(moved)
    with transaction.atomic():
        if moved:
            hooks.bikes_moved(observations=moved)
        if parked:
            summary = hooks.parked_bikes_evaluate(observations=parked)
            result.decided.update(summary.by_verdict)
            result.already_decided += summary.duplicates


def _replay_points(rows: list[tuple], result: ReplayResult) -> None:
    parked: list[hooks.ParkedObservation] = []
    decided_inline = 0
    for point_id, bike_id, op_id, at, lat, lng, acc, beacons, trips, decision, state in rows:
        if trips or state != "available":
            continue  # on a trip, or not on the street: ingest does not judge it either
        if decision is not None:
            decided_inline += 1  # decided at ingest, in spot: kept on the point
            continue
        parked.append(
            hooks.ParkedObservation(
                bike_id,
                op_id,
                as_aware(at),
                lat,
                lng,
                acc,
                "telemetry",
                str(point_id),
                tuple(beacons or ()),
            )
        )
    result.events += len(rows)
    result.parked += len(parked) + decided_inline
    result.already_decided += decided_inline
    if parked:
        with transaction.atomic():
            summary = hooks.parked_bikes_evaluate(observations=parked)
        result.decided.update(summary.by_verdict)
        result.already_decided += summary.duplicates
