"""Compliance writes: evaluate parked observations, track occupancy, raise overflow alerts."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import shapely
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from nuanxin.audit.services import audit_record
from nuanxin.bikes.models import Operator, SpotVersion
from nuanxin.compliance import engine
from nuanxin.compliance.config import engine_config
from nuanxin.compliance.hooks import MovedObservation, ParkedObservation
from nuanxin.compliance.index import CachedIndex, index_for
from nuanxin.compliance.models import BikeParking, OverflowAlert, ParkingCheck, Verdict

SYSTEM = "system:compliance"


@dataclass
class EvaluationSummary:
    checks: list[ParkingCheck] = field(default_factory=list)
    duplicates: int = 0
    by_verdict: Counter = field(default_factory=Counter)


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
) -> list[ParkingCheck]:
    idx = entry.index
    lat = np.array([o.lat for o in obs])
    lng = np.array([o.lng for o in obs])
    acc = np.array([np.nan if o.accuracy_m is None else o.accuracy_m for o in obs])
    res = idx.check(lat, lng, acc, cfg, beacons=[o.beacon_ids for o in obs])
    rows = []
    for i, o in enumerate(obs):
        s = int(res.spot[i])
        d = float(res.distance_m[i])
        if s < 0 and res.verdict[i] == engine.OUTSIDE:
            x, y = idx.projection.to_xy(o.lat, o.lng)
            s, d = _nearest_any(entry, float(x), float(y))
        snap = idx.spots[s] if s >= 0 else None
        rows.append(
            ParkingCheck(
                bike_id=o.bike_id,
                operator_id=o.operator_id,
                observed_at=o.at,
                lat=o.lat,
                lng=o.lng,
                accuracy_m=o.accuracy_m,
                accuracy_used_m=float(res.accuracy_m[i]),
                tolerance_m=cfg.tolerance_m,
                beacon_ids=list(o.beacon_ids),
                source=o.source,
                source_id=o.source_id,
                verdict=engine.VERDICTS[res.verdict[i]],
                rule=engine.RULES[res.rule[i]],
                spot_id=snap.spot_id if snap else None,
                spot_version_id=snap.version_id if snap else None,
                distance_m=None if not math.isfinite(d) else d,
                beacon_confirmed=bool(res.beacon_spot[i] >= 0),
                spots_stamp=stamp,
            )
        )
    return rows


def _bike_parking_apply(checks: Sequence[ParkingCheck]) -> None:
    latest: dict[int, ParkingCheck] = {}
    for c in checks:
        if c.bike_id not in latest or c.observed_at >= latest[c.bike_id].observed_at:
            latest[c.bike_id] = c
    current = BikeParking.objects.in_bulk(list(latest))
    new, changed = [], []
    for bike_id, c in latest.items():
        spot_id = c.spot_id if c.verdict == Verdict.IN_SPOT else None
        row = current.get(bike_id)
        if row is None:
            new.append(
                BikeParking(
                    bike_id=bike_id,
                    operator_id=c.operator_id,
                    at=c.observed_at,
                    verdict=c.verdict,
                    spot_id=spot_id,
                    check_id_ref=c.pk,
                    parked=True,
                )
            )
        elif c.observed_at >= row.at:  # out-of-order observations never roll the state back
            row.at, row.verdict, row.spot_id = c.observed_at, c.verdict, spot_id
            row.check_id_ref, row.parked = c.pk, True
            changed.append(row)
    BikeParking.objects.bulk_create(new)
    BikeParking.objects.bulk_update(changed, ["at", "verdict", "spot_id", "check_id_ref", "parked"])


def parked_bikes_evaluate(
    *, observations: Sequence[ParkedObservation], open_notices: bool = True
) -> EvaluationSummary:
    """Classify each observation against the spots in force at its own time, store the
    decisions (idempotent on source id), then open/close notices and refresh overflows."""
    summary = EvaluationSummary()
    if not observations:
        return summary
    cfg = engine_config()
    keys = {(o.source, o.source_id) for o in observations}
    seen = set(
        ParkingCheck.objects.filter(source_id__in=[k[1] for k in keys]).values_list(
            "source", "source_id"
        )
    )
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
    rows: list[ParkingCheck] = []
    for entry, obs in groups.values():
        rows.extend(_checks_for(obs, entry, stamp or 0, cfg))
    with transaction.atomic():
        created = ParkingCheck.objects.bulk_create(rows)
        _bike_parking_apply(created)
        summary.by_verdict = Counter(c.verdict for c in created)
        audit_record(
            actor=None,
            actor_label=SYSTEM,
            action="compliance.evaluate",
            object_type="compliance.parkingcheck",
            object_id=f"{created[0].pk}-{created[-1].pk}",
            after={"checks": len(created), **summary.by_verdict, "spots_stamp": stamp},
        )
    summary.checks = created
    if open_notices:
        from nuanxin.notices.services import notices_on_checks

        notices_on_checks(checks=created)
    overflow_refresh(spot_ids={c.spot_id for c in created if c.spot_id})
    return summary


def bikes_moved(*, observations: Sequence[MovedObservation]) -> int:
    """A moved bike no longer occupies its spot; open notices it answers are fixed."""
    if not observations:
        return 0
    latest: dict[int, MovedObservation] = {}
    for o in observations:
        if o.bike_id not in latest or o.at > latest[o.bike_id].at:
            latest[o.bike_id] = o
    freed: set[int] = set()
    with transaction.atomic():
        for row in BikeParking.objects.filter(bike_id__in=list(latest), parked=True):
            o = latest[row.bike_id]
            if o.at >= row.at:
                if row.spot_id:
                    freed.add(row.spot_id)
                row.parked, row.at, row.spot_id, row.verdict = False, o.at, None, ""
                row.save(update_fields=["parked", "at", "spot_id", "verdict"])
    from nuanxin.notices.services import notices_on_moved

    fixed = notices_on_moved(observations=list(latest.values()))
    overflow_refresh(spot_ids=freed)
    return fixed


def spot_occupancy(*, spot_ids: set[int] | None = None) -> dict[int, dict[int, int]]:
    """Bikes parked in each spot now, by operator id: {spot_id: {operator_id: n}}."""
    qs = BikeParking.objects.filter(parked=True, verdict=Verdict.IN_SPOT, spot__isnull=False)
    if spot_ids is not None:
        qs = qs.filter(spot_id__in=spot_ids)
    out: dict[int, dict[int, int]] = defaultdict(dict)
    for spot_id, op_id, n in qs.values_list("spot_id", "operator_id").annotate(n=Count("pk")):
        out[spot_id][op_id] = n
    return out


def overflow_refresh(*, spot_ids: set[int], now: datetime | None = None) -> list[OverflowAlert]:
    """Open, update or close the overflow alert of each touched spot."""
    if not spot_ids:
        return []
    now = now or timezone.now()
    occupancy = spot_occupancy(spot_ids=spot_ids)
    versions = {
        v.spot_id: v
        for v in SpotVersion.objects.filter(spot_id__in=spot_ids, effective_from__lte=now).exclude(
            effective_to__lte=now
        )
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
            version = versions.get(spot_id)
            by_op = occupancy.get(spot_id, {})
            count = sum(by_op.values())
            alert = open_alerts.get(spot_id)
            shares = {codes.get(op, str(op)): n for op, n in sorted(by_op.items())}
            if version is not None and count > version.capacity:
                if alert is None:
                    alert = OverflowAlert.objects.create(
                        spot_id=spot_id,
                        spot_version=version,
                        capacity=version.capacity,
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
                        after={"count": count, "capacity": version.capacity, "shares": shares},
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
