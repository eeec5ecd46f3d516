"""Compliance writes: evaluate parked observations, track occupancy, raise overflow alerts."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import shapely
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from nuanxin.audit.services import audit_record
from nuanxin.bikes.models import Operator, SpotVersion
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


def _nearest_any(entry: CachedIndex, x: float, y: float) -> tuple[int, float]:
    """Exact nearest spot beyond the search radius (only for the explanation; rare)."""
    polys = entry.index.polygons_xy
    if len(entry.index.spots) == 0:
        return -1, math.inf
    d = shapely.distance(polys, shapely.Point(x, y))
    i = int(np.argmin(d))
    return i, float(d[i])


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
    for i, o in enumerate(obs):
        s, d = spots[i], distances[i]
        if s < 0 and verdicts[i] == engine.OUTSIDE:
            x, y = idx.projection.to_xy(o.lat, o.lng)
            s, d = _nearest_any(entry, float(x), float(y))
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


def parked_bikes_evaluate(
    *, observations: Sequence[ParkedObservation], open_notices: bool = True
) -> EvaluationSummary:
    """Classify each observation against the spots in force at its own time, store the
    decisions (idempotent on source id), then open/close notices and refresh overflows —
    one transaction, so a batch is judged whole or not at all."""
    if not observations:
        return EvaluationSummary()
    try:
        return _evaluate(observations, open_notices)
    except IntegrityError:  # a concurrent request judged one of these observations first
        return _evaluate(observations, open_notices)


def _evaluate(observations: Sequence[ParkedObservation], open_notices: bool) -> EvaluationSummary:
    summary = EvaluationSummary()
    cfg = engine_config()
    with transaction.atomic():
        seen = writes.checks_seen({(o.source, o.source_id) for o in observations})
        fresh: dict[tuple[str, str], ParkedObservation] = {}
        for o in observations:
            key = (o.source, o.source_id)
            if key in seen or key in fresh:
                summary.duplicates += 1
                continue
            fresh[key] = o
        if not fresh:
            return summary
        groups: dict[int, tuple[CachedIndex, list[ParkedObservation]]] = {}
        stamp = None
        for o in fresh.values():
            entry, stamp = index_for(o.at, stamp=stamp)
            groups.setdefault(id(entry), (entry, []))[1].append(o)
        checks: list[writes.Decision] = []
        for entry, obs in groups.values():
            checks.extend(_checks_for(obs, entry, stamp or 0, cfg))
        now = timezone.now()
        writes.checks_insert(checks, now)
        writes.bike_parking_upsert(checks)
        summary.by_verdict = Counter(c.verdict for c in checks)
        audit_record(
            actor=None,
            actor_label=SYSTEM,
            action="compliance.evaluate",
            object_type="compliance.parkingcheck",
            object_id=f"{checks[0].pk}-{checks[-1].pk}",
            after={"checks": len(checks), **summary.by_verdict, "spots_stamp": stamp},
        )
        summary.decisions = checks
        if open_notices:
            from nuanxin.notices.services import notices_on_checks

            notices_on_checks(checks=checks)
        overflow_refresh(spot_ids={c.spot_id for c in checks if c.spot_id}, now=now)
    return summary


def bikes_moved(*, observations: Sequence[MovedObservation]) -> int:
    """A moved bike no longer occupies its spot; open notices it answers are fixed."""
    if not observations:
        return 0
    latest: dict[int, MovedObservation] = {}
    for o in observations:
        if o.bike_id not in latest or o.at > latest[o.bike_id].at:
            latest[o.bike_id] = o
    from nuanxin.notices.services import notices_on_moved

    with transaction.atomic():
        freed = writes.bikes_unpark({bike_id: o.at for bike_id, o in latest.items()})
        fixed = notices_on_moved(observations=list(latest.values()))
        overflow_refresh(spot_ids=freed)
    return fixed


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


def overflow_refresh(*, spot_ids: set[int], now: datetime | None = None) -> list[OverflowAlert]:
    """Open, update or close the overflow alert of each touched spot."""
    if not spot_ids:
        return []
    now = now or timezone.now()
    occupancy = spot_occupancy(spot_ids=spot_ids)
    capacity = {
        spot_id: (version_id, cap)
        for spot_id, version_id, cap in SpotVersion.objects.filter(
            spot_id__in=spot_ids, effective_from__lte=now
        )
        .exclude(effective_to__lte=now)
        .values_list("spot_id", "pk", "capacity")
    }
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
