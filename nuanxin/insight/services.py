"""Writes: rebalancing plans and their follow-up, fleet-size runs and applying them to quotas."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record
from nuanxin.core.errors import Conflict, DomainError
from nuanxin.insight import h3agg
from nuanxin.insight.models import FleetSizeRun, RebalanceMove, RebalancePlan
from nuanxin.insight.rebalance import needs, solve_transport
from nuanxin.insight.sources import LAYERS, Points, SourceAbsent, Window

HISTORY_DAYS = 14
ACTED_SHARE = 0.8  # a move counts as done when 80% of its bikes arrived


def _operator_points(layer: str, window: Window, operator_id: int) -> Points:
    points = LAYERS[layer](window)
    return points.mask(points.operator_id == operator_id)


def _cell_counts(points: Points, res: int) -> dict[int, int]:
    if not len(points):
        return {}
    cells, counts = h3agg.aggregate(points.lat, points.lng, res)
    return dict(zip(cells.tolist(), counts.astype(int).tolist(), strict=True))


def rebalance_demand(
    *, operator_id: int, res: int, at: dt.datetime, window_hours: int
) -> tuple[dict[int, float], str]:
    """Expected pick-ups per cell over the window: the operator's own trips at the same hours
    over the last two weeks; without trips, the spots' capacity shared by fleet size."""
    local = timezone.localtime(at)
    counts: dict[int, float] = {}
    try:
        for h in range(window_hours):
            hour = (local.hour + h) % 24
            first = timezone.make_aware(
                dt.datetime.combine(local.date() - dt.timedelta(days=HISTORY_DAYS), dt.time.min)
            )
            win = Window("hour", first, at, hour=hour, days=HISTORY_DAYS)
            for cell, n in _cell_counts(
                _operator_points("trip_origins", win, operator_id), res
            ).items():
                counts[cell] = counts.get(cell, 0.0) + n / HISTORY_DAYS
    except SourceAbsent:
        counts = {}
    if sum(counts.values()) >= 1:
        return counts, "trips"
    from nuanxin.bikes.models import Bike, Operator
    from nuanxin.bikes.selectors import spots_in_force

    spots = spots_in_force(at=at)
    total = Bike.objects.count() or 1
    share = Bike.objects.filter(operator_id=operator_id).count() / total
    if not Bike.objects.exists():
        share = 1 / max(Operator.objects.count(), 1)
    if not spots:
        return {}, "none"
    lat = np.array([s.center_lat for s in spots])
    lng = np.array([s.center_lng for s in spots])
    cap = np.array([s.capacity for s in spots], dtype=float)
    cells, caps = h3agg.aggregate(lat, lng, res, weights=cap * 0.5 * share)
    return dict(zip(cells.tolist(), caps.tolist(), strict=True)), "spot_capacity"


@transaction.atomic
def rebalance_plan_create(
    *,
    operator: Any,
    by: Any,
    resolution: int = 9,
    window_hours: int = 2,
    trucks: int = 4,
    truck_capacity: int = 20,
    max_distance_m: float = 5000.0,
    at: dt.datetime | None = None,
    source_ip: str | None = None,
) -> RebalancePlan:
    if not h3agg.MIN_RES <= resolution <= h3agg.MAX_RES:
        raise DomainError("bad_resolution", _("H3分辨率须在 8 到 10 之间。"))
    if trucks < 1 or truck_capacity < 1 or not 1 <= window_hours <= 12:
        raise DomainError(
            "bad_rebalance_params", _("车辆数、车载容量须为正数，调度窗口 1–12 小时。")
        )
    at = at or timezone.now()
    try:
        supply_pts = _operator_points("bikes", Window("now", None, at), operator.pk)
    except SourceAbsent as exc:
        raise DomainError("source_absent", str(exc)) from exc
    supply = _cell_counts(supply_pts, resolution)
    demand, source = rebalance_demand(
        operator_id=operator.pk, res=resolution, at=at, window_hours=window_hours
    )
    keys = sorted(set(supply) | set(demand))
    plan = RebalancePlan.objects.create(
        operator=operator,
        created_by=by,
        resolution=resolution,
        window_start=at,
        window_hours=window_hours,
        demand_source=source,
        params={
            "trucks": trucks,
            "truck_capacity": truck_capacity,
            "max_distance_m": max_distance_m,
        },
    )
    if keys:
        s = np.array([supply.get(k, 0) for k in keys])
        d = np.array([demand.get(k, 0.0) for k in keys])
        centers = [h3agg.cell_center(h3agg.cell_str(k)) for k in keys]
        lat = np.array([c[0] for c in centers])
        lng = np.array([c[1] for c in centers])
        surplus, deficit = needs(s, d)
        moves = solve_transport(
            surplus=surplus,
            deficit=deficit,
            lat=lat,
            lng=lng,
            truck_capacity=truck_capacity,
            trucks=trucks,
            rounds=window_hours,
            max_distance_m=max_distance_m,
        )
        RebalanceMove.objects.bulk_create(
            RebalanceMove(
                plan=plan,
                from_cell=h3agg.cell_str(keys[m.source]),
                to_cell=h3agg.cell_str(keys[m.target]),
                from_lat=lat[m.source],
                from_lng=lng[m.source],
                to_lat=lat[m.target],
                to_lng=lng[m.target],
                bikes=m.bikes,
                distance_m=round(m.distance_m),
                truck_loads=m.truck_loads,
                from_before=int(s[m.source]),
                to_before=int(s[m.target]),
            )
            for m in moves
        )
        plan.total_bikes = sum(m.bikes for m in moves)
        plan.save(update_fields=["total_bikes"])
    audit_record(
        actor=by,
        action="rebalance_plan.create",
        obj=plan,
        source_ip=source_ip,
        after={
            "operator": operator.code,
            "moves": plan.moves.count(),
            "bikes": plan.total_bikes,
            "demand_source": source,
        },
    )
    return plan


@transaction.atomic
def rebalance_plan_evaluate(
    *, plan: RebalancePlan, by: Any, at: dt.datetime | None = None, source_ip: str | None = None
) -> RebalancePlan:
    """Did the operator act? Compare its bikes per cell now with the counts at planning time."""
    at = at or timezone.now()
    if at <= plan.window_start:
        raise Conflict("too_early", _("调度窗口尚未开始，无法核验执行情况。"))
    try:
        points = _operator_points("bikes", Window("now", None, at), plan.operator_id)
    except SourceAbsent as exc:
        raise DomainError("source_absent", str(exc)) from exc
    now_counts = _cell_counts(points, plan.resolution)
    before = {"acted_bikes": plan.acted_bikes}
    total = 0
    moves = list(plan.moves.all())
    for mv in moves:
        gained = now_counts.get(h3agg.cell_int(mv.to_cell), 0) - mv.to_before
        lost = mv.from_before - now_counts.get(h3agg.cell_int(mv.from_cell), 0)
        acted = max(0, min(gained, lost, mv.bikes))
        mv.acted_bikes = acted
        if acted >= ACTED_SHARE * mv.bikes:
            mv.outcome = RebalanceMove.Outcome.ACTED
        elif acted > 0:
            mv.outcome = RebalanceMove.Outcome.PARTIAL
        else:
            mv.outcome = RebalanceMove.Outcome.IGNORED
        total += acted
    RebalanceMove.objects.bulk_update(moves, ["acted_bikes", "outcome"])
    plan.acted_bikes = total
    plan.evaluated_at = at
    plan.save(update_fields=["acted_bikes", "evaluated_at"])
    audit_record(
        actor=by,
        action="rebalance_plan.evaluate",
        obj=plan,
        before=before,
        after={"acted_bikes": total, "total_bikes": plan.total_bikes},
        source_ip=source_ip,
        actor_label="" if by else "system:insight",
    )
    return plan


@transaction.atomic
def fleet_run_record(*, result: dict[str, Any], by: Any = None) -> FleetSizeRun:
    run = FleetSizeRun.objects.create(
        created_by=by,
        target=result["target"],
        met=result["met"],
        fleet=result["fleet"],
        achieved=result["achieved"],
        demand_source=result["demand_source"],
        split_basis=result["split_basis"],
        split=result["split"],
        config=result["config"],
        evaluations=result["evaluations"],
        report_path=result.get("report_path", ""),
    )
    audit_record(
        actor=by,
        action="fleet_run.record",
        obj=run,
        actor_label="" if by else "system:fleet_size",
        after={"fleet": run.fleet, "met": run.met, "split": run.split},
    )
    return run


@transaction.atomic
def fleet_quota_apply(*, run: FleetSizeRun, by: Any, source_ip: str | None = None) -> dict:
    """Set each operator's quota to its share of a fleet-size run (chief/admin; audited)."""
    from nuanxin.bikes.models import Operator

    run = FleetSizeRun.objects.select_for_update().get(pk=run.pk)
    if run.applied_at is not None:
        raise Conflict("already_applied", _("该运演结果已应用于配额。"))
    if not run.met:
        raise DomainError("target_not_met", _("该运演未达到目标服务水平，不能直接用于配额。"))
    ops = {o.code: o for o in Operator.objects.select_for_update().filter(code__in=run.split)}
    missing = sorted(set(run.split) - set(ops))
    if missing:
        raise DomainError(
            "unknown_operator", _("运营企业不存在：%(c)s。") % {"c": ", ".join(missing)}
        )
    from nuanxin.bikes.services import operator_quota_set

    before = {code: op.quota for code, op in ops.items()}
    for code, op in ops.items():
        # Through the bikes app's own audited service: one quota row per operator.
        operator_quota_set(
            operator=op,
            quota=int(run.split[code]),
            by=by,
            reason=f"运演 #{run.pk}: target {run.target:.0%}, {run.split_basis} split",
        )
    run.applied_at = timezone.now()
    run.applied_by = by
    run.save(update_fields=["applied_at", "applied_by"])
    audit_record(
        actor=by,
        action="fleet_run.apply_quota",
        obj=run,
        before=before,
        after=dict(run.split),
        source_ip=source_ip,
    )
    return dict(run.split)
