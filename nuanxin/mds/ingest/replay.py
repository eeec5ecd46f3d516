"""Evaluate stored events again: the recovery path when a batch's evaluation failed.

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
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record
from nuanxin.bikes.models import Operator
from nuanxin.compliance import hooks
from nuanxin.core.errors import DomainError
from nuanxin.mds.fastdb import as_aware
from nuanxin.mds.ingest.events import event_observe
from nuanxin.mds.models import MdsEvent

REPLAY_CHUNK = 1000


@dataclass
class ReplayResult:
    events: int = 0
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
    if since.tzinfo is None or until.tzinfo is None:
        raise DomainError("naive_datetime", _("起止时间必须带时区。"))
    if since >= until:
        raise DomainError("empty_window", _("开始时间必须早于结束时间。"))
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
        "pk",
    )
    result = ReplayResult()
    after: Q | None = None
    # Pages by (timestamp, pk), each read whole before it is written about: no cursor stays
    # open across the writes (SQLite shares one connection between them).
    while True:
        page = events.filter(after) if after is not None else events
        rows = list(page.order_by("timestamp", "pk").values_list(*columns)[:chunk])
        if not rows:
            break
        _replay_chunk([row[:-1] for row in rows], result)
        last_at, last_pk = rows[-1][5], rows[-1][-1]
        after = Q(timestamp__gt=last_at) | Q(timestamp=last_at, pk__gt=last_pk)
    audit_record(
        actor=None,
        actor_label=by_label,
        action="compliance.replay",
        object_type="mds.mdsevent",
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
    return result


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
