"""Compliance writes: evaluate parked observations, track occupancy, raise overflow alerts."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from nuanxin.audit.services import audit_record
from nuanxin.bikes.models import Operator
from nuanxin.compliance import engine, writes
from nuanxin.compliance.config import engine_config
from nuanxin.compliance.hooks import MovedObservation, ParkedObservation
from nuanxin.compliance.index import CachedIndex, index_for
from nuanxin.compliance.models import BikeParking, OverflowAlert, ParkingCheck, Verdict
from nuanxin.mds.fastdb import select_in

SYSTEM = "system:compliance"


@dataclass
class EvaluationSummary:
    decisions: list[writes.Decision] = field(default_factory=list)
    duplicates: int = 0
    by_verdict: Counter = field(default_factory=Counter)

    @property
    def checks(self) -> list[ParkingCheck]:
        """The stored decisions as (unsaved-looking but persisted) model instances."""
        return [d.as_model() for d in self.decisions]


def _checks_for(
    obs: list[ParkedObservation], entry: CachedIndex, stamp: int, cfg: engine.EngineConfig
) -> list[writes.Decision]:
    idx = entry.index
    lat = np.array([o.lat for o in obs])
    lng = np.array([o.lng for o in obs])
    acc = np.array([np.nan if o.accuracy_m is None else o.accuracy_m for o in obs])
    res = idx.check(lat, lng, acc, cfg, beacons=[o.beacon_ids for o in obs])
    rows = []
    # Plain Python lists: indexing numpy arrays element by element is slow.
    spots, distances = res.spot.tolist(), res.distance_m.tolist()
    verdicts, rules = res.verdict.tolist(), res.rule.tolist()
    accuracy_used, beacon_spot = res.accuracy_m.tolist(), res.beacon_spot.tolist()
    # A decision with no spot in the search radius (`outside`, or `uncertain` for poor
    # accuracy) is still explained by its nearest spot.
    far = np.flatnonzero((res.spot < 0) & (res.verdict != engine.IN_SPOT))
    if len(far):
        x, y = idx.projection.to_xy(lat[far], lng[far])
        far_spot, far_d = idx.nearest_any(x, y)
        for i, s, d in zip(far.tolist(), far_spot.tolist(), far_d.tolist(), strict=True):
            spots[i], distances[i] = s, d
    for i, o in enumerate(obs):
        s, d = spots[i], distances[i]
        snap = idx.spots[s] if s >= 0 else None
        rows.append(
            writes.Decision(
                o.bike_id,
                o.operator_id,
                o.at,
                o.lat,
                o.lng,
                o.accuracy_m,
                accuracy_used[i],
                cfg.tolerance_m,
                list(o.beacon_ids),
                o.source,
                o.source_id,
                engine.VERDICTS[verdicts[i]],
                engine.RULES[rules[i]],
                snap.spot_id if snap else None,
                snap.version_id if snap else None,
                None if not math.isfinite(d) else d,
                beacon_spot[i] >= 0,
                stamp,
            )
        )
    return rows


@dataclass
class Judgement:
    """Parked observations classified in memory, not yet stored (see parked_bikes_judge)."""

    decisions: list[writes.Decision]
    duplicates: int = 0  # repeated within the batch
    stamp: int | None = None  # the spots stamp the decisions were made against
    prepared: writes.PreparedChecks | None = None  # their rows, adapted outside the lock
    inline: bool = False  # in-spot decisions kept on their events / points (checks_prepare)


def parked_bikes_evaluate(
    *, observations: Sequence[ParkedObservation], open_notices: bool = True
) -> EvaluationSummary:
    """Classify each observation against the spots in force at its own time, store the
    decisions (idempotent on source id), then open/close notices and refresh overflows —
    one transaction, so a batch is judged whole or not at all."""
    return judgement_apply(
        judgement=parked_bikes_judge(observations=observations), open_notices=open_notices
    )


def parked_bikes_judge(
    *, observations: Sequence[ParkedObservation], inline: bool = False
) -> Judgement:
    """The CPU half of an evaluation: classify, explain, write nothing. Ingest runs it before
    it takes the database's write lock, so that on SQLite two workers judge in parallel and
    only the writes queue. `inline` (events and telemetry ingest): the in-spot decisions of
    events and telemetry points get no ParkingCheck row; the caller writes each onto its
    event or point (`Decision.inline_json`)."""
    fresh: dict[tuple[str, str], ParkedObservation] = {}
    for o in observations:
        fresh.setdefault((o.source, o.source_id), o)
    judgement = Judgement(decisions=[], duplicates=len(observations) - len(fresh), inline=inline)
    if not fresh:
        return judgement
    cfg = engine_config()
    groups: dict[int, tuple[CachedIndex, list[ParkedObservation]]] = {}
    stamp = None
    entry: CachedIndex | None = None
    for o in fresh.values():
        if entry is None or not entry.covers(o.at):
            entry, stamp = index_for(o.at, stamp=stamp)
        groups.setdefault(id(entry), (entry, []))[1].append(o)
    for entry, obs in groups.values():
        judgement.decisions.extend(_checks_for(obs, entry, stamp or 0, cfg))
    judgement.stamp = stamp
    judgement.prepared = writes.checks_prepare(judgement.decisions, timezone.now(), inline=inline)
    return judgement


def judgement_apply(
    *,
    judgement: Judgement,
    open_notices: bool = True,
    queue_notices: bool = False,
    sources_new: bool = False,
    overflow_spots: set[int] | None = None,
) -> EvaluationSummary:
    """Store the decisions not stored yet, with their consequences, in one transaction.
    `queue_notices` (ingest): new notices are opened by the notice job, fixes inline.
    `sources_new` (ingest): the caller inserted the observations' own rows (event_id /
    telemetry_id, unique) in this transaction, so no decision can exist for them and the
    lookup is skipped.
    `overflow_spots` (ingest): the touched spots are added to this set, for the caller to
    refresh once per batch (`overflow_refresh`), instead of refreshed here.
    A concurrent request that stored one of them first makes the unique (source, source_id)
    refuse the insert: the transaction is rolled back and the apply runs once more, now
    skipping what the other request stored."""
    if not judgement.decisions:
        return EvaluationSummary(duplicates=judgement.duplicates)
    try:
        return _apply(
            judgement, open_notices, queue_notices, overflow_spots, look_for_stored=not sources_new
        )
    except IntegrityError:
        return _apply(judgement, open_notices, queue_notices, overflow_spots, look_for_stored=True)


def _apply(
    judgement: Judgement,
    open_notices: bool,
    queue_notices: bool,
    overflow_spots: set[int] | None,
    *,
    look_for_stored: bool,
) -> EvaluationSummary:
    summary = EvaluationSummary(duplicates=judgement.duplicates)
    stamp = judgement.stamp
    touched: set[int] = set()
    with transaction.atomic():
        seen = (
            writes.checks_seen({(d.source, d.source_id) for d in judgement.decisions})
            if look_for_stored
            else set()
        )
        prepared = judgement.prepared
        if seen or prepared is None:  # stored meanwhile by another request: prepare the rest
            checks = [d for d in judgement.decisions if (d.source, d.source_id) not in seen]
            summary.duplicates += len(judgement.decisions) - len(checks)
            if not checks:
                return summary
            prepared = writes.checks_prepare(checks, timezone.now(), inline=judgement.inline)
        checks = prepared.decisions
        now = timezone.now()
        vacated = writes.checks_store(prepared)
        summary.by_verdict = Counter(c.verdict for c in checks)
        stored = prepared.stored
        audit_record(
            actor=None,
            actor_label=SYSTEM,
            action="compliance.evaluate",
            object_type="compliance.parkingcheck",
            # The stored decisions' id range; in-spot event decisions are on their events.
            object_id=f"{stored[0].pk}-{stored[-1].pk}" if stored else "inline",
            after={
                "checks": len(checks),
                "inline": len(checks) - len(stored),
                **summary.by_verdict,
                "spots_stamp": stamp,
            },
        )
        summary.decisions = checks
        if open_notices:
            from nuanxin.notices.services import notices_on_checks

            notices_on_checks(checks=checks, queue_opens=queue_notices)
        # The spots named, and those the bikes' previous states left without a movement
        # reported (a bike seen in S1, then in S2 or outside: S1 holds one bike fewer).
        touched = {c.spot_id for c in checks if c.spot_id} | vacated
        if overflow_spots is None:
            overflow_refresh(spot_ids=touched, now=now, stamp=stamp)
    if overflow_spots is not None:
        overflow_spots |= touched  # only once the savepoint has committed
    return summary


def bikes_moved(
    *,
    observations: Sequence[MovedObservation],
    stamp: int | None = None,
    overflow_spots: set[int] | None = None,
) -> int:
    """A moved bike no longer occupies its spot; open notices it answers are fixed.
    `stamp`: the spots stamp, when the caller has just read it. `overflow_spots`: as in
    `judgement_apply`, the freed spots go there instead of being refreshed here."""
    if not observations:
        return 0
    latest: dict[int, MovedObservation] = {}
    for o in observations:
        if o.bike_id not in latest or o.at > latest[o.bike_id].at:
            latest[o.bike_id] = o
    from nuanxin.notices.services import notices_on_moved

    with transaction.atomic():
        freed = writes.bikes_unpark(
            {bike_id: (o.at, o.operator_id) for bike_id, o in latest.items()}
        )
        fixed = notices_on_moved(observations=list(latest.values()))
        if overflow_spots is None:
            overflow_refresh(spot_ids=freed, stamp=stamp)
    if overflow_spots is not None:
        overflow_spots |= freed
    return fixed


def spot_counts(*, spot_ids: set[int]) -> dict[int, int]:
    """Bikes parked in each of these spots now (spots with none are left out): read from
    the (spot, parked) index alone, for every ingest batch's hundreds of spots."""
    rows = select_in(
        f"SELECT spot_id, COUNT(*) FROM {BikeParking._meta.db_table} "
        "WHERE parked = %s AND spot_id IN ({ids}) GROUP BY spot_id",
        sorted(spot_ids),
        params=[True],
    )
    return dict(rows)  # type: ignore[arg-type]


def spot_occupancy(*, spot_ids: set[int] | None = None) -> dict[int, dict[int, int]]:
    """Bikes parked in each spot now, by operator id: {spot_id: {operator_id: n}}."""
    out: dict[int, dict[int, int]] = defaultdict(dict)
    if spot_ids is not None:
        # Raw SQL: called on every ingest batch with hundreds of ids, where building the
        # ORM filter cost more than the indexed (spot_id, parked) lookup itself.
        rows = select_in(
            f"SELECT spot_id, operator_id, COUNT(*) FROM {BikeParking._meta.db_table} "
            "WHERE parked = %s AND verdict = %s AND spot_id IN ({ids}) "
            "GROUP BY spot_id, operator_id",
            sorted(spot_ids),
            params=[True, Verdict.IN_SPOT.value],
        )
        for spot_id, op_id, n in rows:
            out[spot_id][op_id] = n
        return out
    qs = BikeParking.objects.filter(parked=True, verdict=Verdict.IN_SPOT, spot__isnull=False)
    for spot_id, op_id, n in qs.values_list("spot_id", "operator_id").annotate(n=Count("pk")):
        out[spot_id][op_id] = n
    return out


def overflow_refresh(
    *, spot_ids: set[int], now: datetime | None = None, stamp: int | None = None
) -> list[OverflowAlert]:
    """Open, update or close the overflow alert of each touched spot. Capacities come from
    the cached index of the spots in force now (`stamp`: the caller's spots stamp, if known);
    alert rows are only loaded for spots over capacity or with an alert open."""
    if not spot_ids:
        return []
    now = now or timezone.now()
    counts = spot_counts(spot_ids=spot_ids)
    index = index_for(now, stamp=stamp)[0].index
    capacity = index.capacity_by_spot
    over = {
        spot_id for spot_id, n in counts.items() if spot_id in capacity and n > capacity[spot_id][1]
    }
    table = OverflowAlert._meta.db_table
    with_alert = {
        spot_id
        for (spot_id,) in select_in(
            f"SELECT spot_id FROM {table} WHERE closed_at IS NULL AND spot_id IN ({{ids}})",
            sorted(spot_ids),
        )
    }
    spot_ids = over | with_alert
    if not spot_ids:
        return []  # the common case: every touched spot within capacity, no alert open
    occupancy = spot_occupancy(spot_ids=spot_ids)
    codes = dict(Operator.objects.values_list("pk", "code"))
    touched = []
    with transaction.atomic():
        open_alerts = {
            a.spot_id: a
            for a in OverflowAlert.objects.select_for_update().filter(
                spot_id__in=spot_ids, closed_at__isnull=True
            )
        }
        for spot_id in spot_ids:
            version_id, cap = capacity.get(spot_id, (None, None))
            by_op = occupancy.get(spot_id, {})
            count = sum(by_op.values())
            alert = open_alerts.get(spot_id)
            if alert is None and (cap is None or count <= cap):
                continue  # the common case: within capacity, nothing to open or close
            shares = {codes.get(op, str(op)): n for op, n in sorted(by_op.items())}
            if cap is not None and count > cap:
                if alert is None:
                    alert = OverflowAlert.objects.create(
                        spot_id=spot_id,
                        spot_version_id=version_id,
                        capacity=cap,
                        count=count,
                        peak=count,
                        shares=shares,
                        opened_at=now,
                        updated_at=now,
                    )
                    audit_record(
                        actor=None,
                        actor_label=SYSTEM,
                        action="overflow.open",
                        obj=alert,
                        after={"count": count, "capacity": cap, "shares": shares},
                    )
                else:
                    alert.count, alert.shares, alert.updated_at = count, shares, now
                    alert.peak = max(alert.peak, count)
                    alert.save(update_fields=["count", "shares", "updated_at", "peak"])
                touched.append(alert)
            elif alert is not None:
                alert.count, alert.shares, alert.closed_at, alert.updated_at = (
                    count,
                    shares,
                    now,
                    now,
                )
                alert.save(update_fields=["count", "shares", "closed_at", "updated_at"])
                audit_record(
                    actor=None,
                    actor_label=SYSTEM,
                    action="overflow.close",
                    obj=alert,
                    after={"count": count},
                )
                touched.append(alert)
    return touched
