"""Parking episodes: one notice per violation, not one per observation of it.

A bike left outside keeps reporting where it stands (an `available` event, a telemetry
point). Each report is judged, and each is "outside" again; but it is the same parking, and
the Administrative Penalty Law (art. 29: 同一个违法行为不得给予两次以上罚款) allows one
penalty for it. An episode ends with evidence that the bike moved or stood well: a fix of
the notice, a late fix, a movement or new parking event (trip_start, the pick-ups, trip_end,
provider_drop_off, a state off the street), a trip, or an in-spot decision. Only a decision
after such evidence opens a new notice.

The other half: while a bike's notice is open, its newer flagged decisions open nothing
(one open notice per bike). When that notice closes — fixed, penalised, closed — the bike
may already stand outside again, observed while the notice was open (or before the fix
arrived, out of order). `decisions_requeue_after` queues the bike's latest flagged decision
again, and the notice job judges it by the rule above.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from django.db.models import OuterRef, Subquery

from nuanxin.compliance.models import BikeParking, ParkingCheck, Verdict
from nuanxin.mds.models import MdsEvent, Telemetry, Trip
from nuanxin.notices.models import Notice, PendingNotice

# Event types and states that mean the bike moved or was parked anew.
EPISODE_EVENT_TYPES = frozenset(
    [
        "trip_start",
        "trip_end",
        "provider_drop_off",
        "compliance_pick_up",
        "rebalance_pick_up",
        "maintenance_pick_up",
        "agency_pick_up",
        "agency_drop_off",
        "reservation_start",
        "decommissioned",
    ]
)
OFF_STREET_STATES = frozenset(["on_trip", "removed", "reserved"])


class Flagged(Protocol):
    """A flagged (outside / uncertain) decision, as `notices_on_checks` holds it."""

    pk: Any
    bike_id: int
    verdict: str
    observed_at: datetime


def episodes_already_noticed(decisions: Sequence[Flagged]) -> set[Any]:
    """The decisions (their pks) that continue a parking episode some earlier notice of
    their bike already covers, so that they open nothing. A violation notice covers every
    later decision of its episode; a confirmation notice (uncertain) covers later uncertain
    ones, but an `outside` is stronger evidence and gets its violation notice."""
    if not decisions:
        return set()
    answered = Notice.objects.exclude(status=Notice.Status.OPEN)
    last_of_bike = (
        answered.filter(bike_id=OuterRef("bike_id")).order_by("-observed_at", "-pk").values("pk")
    )
    latest = {
        n.bike_id: n
        for n in answered.filter(bike_id__in={d.bike_id for d in decisions})
        .filter(pk=Subquery(last_of_bike[:1]))
        .only("bike_id", "kind", "observed_at", "fixed_at", "late_fix_at", "check_ref_id")
    }
    covered = set()
    candidates = [
        (d, latest[d.bike_id])
        for d in decisions
        if d.bike_id in latest and latest[d.bike_id].observed_at <= d.observed_at
    ]
    ended = _episodes_ended(candidates)
    for d, notice in candidates:
        if notice.check_ref_id == d.pk:
            covered.add(d.pk)
        elif (d.bike_id, d.pk) in ended:
            continue
        elif notice.kind == Notice.Kind.VIOLATION or d.verdict != Verdict.OUTSIDE:
            covered.add(d.pk)
    return covered


def _episodes_ended(pairs: list[tuple[Flagged, Notice]]) -> set[tuple[int, Any]]:
    """(bike_id, decision pk) of each pair with evidence, after the notice's observation
    and no later than the decision's, that the bike moved or stood well."""
    ended: set[tuple[int, Any]] = set()
    open_pairs = []
    for d, notice in pairs:
        answered = [t for t in (notice.fixed_at, notice.late_fix_at) if t is not None]
        if any(t <= d.observed_at for t in answered):
            ended.add((d.bike_id, d.pk))
        else:
            open_pairs.append((d, notice))
    if not open_pairs:
        return ended
    bikes = {d.bike_id for d, _n in open_pairs}
    since = min(n.observed_at for _d, n in open_pairs)
    until = max(d.observed_at for d, _n in open_pairs)
    evidence: dict[int, list[datetime]] = {}

    def note(bike_id: int, at: datetime) -> None:
        evidence.setdefault(bike_id, []).append(at)

    events = MdsEvent.objects.filter(
        bike_id__in=bikes, timestamp__gt=since, timestamp__lte=until
    ).values_list("bike_id", "timestamp", "vehicle_state", "event_types", "decision")
    for bike_id, at, state, types, decision in events:
        moved = state in OFF_STREET_STATES or EPISODE_EVENT_TYPES.intersection(types or ())
        if moved or decision is not None:  # a decision is kept on its event only in spot
            note(bike_id, at)
    points = Telemetry.objects.filter(
        bike_id__in=bikes, timestamp__gt=since, timestamp__lte=until, decision__isnull=False
    ).values_list("bike_id", "timestamp")
    for bike_id, at in points:
        note(bike_id, at)
    in_spot = ParkingCheck.objects.filter(
        bike_id__in=bikes,
        observed_at__gt=since,
        observed_at__lte=until,
        verdict=Verdict.IN_SPOT,
    ).values_list("bike_id", "observed_at")
    for bike_id, at in in_spot:
        note(bike_id, at)
    trips = Trip.objects.filter(
        bike_id__in=bikes, start_time__gt=since, start_time__lte=until
    ).values_list("bike_id", "start_time")
    for bike_id, at in trips:
        note(bike_id, at)
    for d, notice in open_pairs:
        if any(notice.observed_at < at <= d.observed_at for at in evidence.get(d.bike_id, ())):
            ended.add((d.bike_id, d.pk))
    return ended


def decisions_requeue_after(*, notices: Sequence[Notice], now: datetime) -> int:
    """Queue again the latest flagged decision of each bike whose notice just closed, when
    it is newer than that notice's own (the job dropped it while the notice was open).
    Returns how many were queued (one already queued stays as it is)."""
    by_bike = {n.bike_id: n for n in notices}
    if not by_bike:
        return 0
    rows = (
        BikeParking.objects.filter(bike_id__in=by_bike, parked=True, check_id_ref__gt=0)
        .exclude(verdict=Verdict.IN_SPOT)
        .values_list("bike_id", "check_id_ref", "at")
    )
    queued = [
        PendingNotice(decision_id=ref, queued_at=now)
        for bike_id, ref, at in rows
        if ref is not None
        and ref != by_bike[bike_id].check_ref_id
        and at > by_bike[bike_id].observed_at
    ]
    if queued:
        PendingNotice.objects.bulk_create(queued, ignore_conflicts=True)
    return len(queued)
