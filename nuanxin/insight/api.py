"""/api/v1/insight/: heat maps (JSON, GeoJSON, PNG), spot supply, drill-down, rebalancing,
fleet-size runs. Session (staff) auth; every endpoint goes through nuanxin.insight.access."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from nuanxin.accounts.auth import operator_auth, staff_auth
from nuanxin.core.access import require_role
from nuanxin.insight import selectors
from nuanxin.insight.access import (
    CITY_ROLES,
    access_city_view,
    access_fleet_run,
    access_rebalance_operator,
    access_rebalance_plan,
    operators_for,
)
from nuanxin.insight.models import FleetSizeRun, RebalancePlan
from nuanxin.insight.services import (
    fleet_quota_apply,
    rebalance_plan_create,
    rebalance_plan_evaluate,
)

router = Router(tags=["insight"], auth=staff_auth)


def heat_query(
    request: HttpRequest,
    *,
    layer: str,
    window: str,
    resolution: Any,
    operator: str | None,
    district: Any,
    hour: Any = None,
    date: str | None = None,
    days: Any = None,
) -> selectors.HeatQuery:
    scope = access_city_view(request.user)
    op_id, op_code = selectors.parse_operator(operator)
    parsed_layer = selectors.parse_layer(layer)
    parsed_window = selectors.parse_window(window, hour=hour, date=date, days=days)
    selectors.window_retained(parsed_layer, parsed_window)
    return selectors.HeatQuery(
        layer=parsed_layer,
        window=parsed_window,
        resolution=selectors.parse_resolution(resolution),
        operator_id=op_id,
        operator_code=op_code,
        district=selectors.parse_district(district, scope_id=scope),
    )


@router.get("/heatmap")
def heatmap(
    request: HttpRequest,
    layer: str = "bikes",
    window: str = "now",
    resolution: str = "9",
    operator: str | None = None,
    district: str | None = None,
    hour: str | None = None,
    date: str | None = None,
    days: str | None = None,
    format: str = "json",
) -> Any:
    """Counts per H3 cell; `format=geojson` returns hexagon polygons."""
    q = heat_query(
        request,
        layer=layer,
        window=window,
        resolution=resolution,
        operator=operator,
        district=district,
        hour=hour,
        date=date,
        days=days,
    )
    result = selectors.heatmap(q)
    if format == "geojson":
        return selectors.heatmap_geojson(result)
    return result


@router.get("/heatmap.png")
def heatmap_image(
    request: HttpRequest,
    layer: str = "bikes",
    window: str = "now",
    resolution: str = "9",
    operator: str | None = None,
    district: str | None = None,
    hour: str | None = None,
    date: str | None = None,
    days: str | None = None,
) -> HttpResponse:
    """Server-side PNG (matplotlib) of the same heat map, for reports."""
    q = heat_query(
        request,
        layer=layer,
        window=window,
        resolution=resolution,
        operator=operator,
        district=district,
        hour=hour,
        date=date,
        days=days,
    )
    from nuanxin.insight.png import heatmap_png  # matplotlib only when a PNG is asked for

    result = selectors.heatmap(q)
    png = heatmap_png(result, selectors.boundaries(district=q.district))
    resp = HttpResponse(png, content_type="image/png")
    resp["Content-Disposition"] = f'inline; filename="heatmap-{layer}-{window}.png"'
    return resp


@router.get("/spots/supply")
def spot_supply(
    request: HttpRequest, operator: str | None = None, district: str | None = None
) -> Any:
    """Parked bikes per spot against capacity: oversupply / shortage."""
    scope = access_city_view(request.user)
    op_id, _ = selectors.parse_operator(operator)
    return selectors.spot_supply(
        operator_id=op_id, district=selectors.parse_district(district, scope_id=scope)
    )


@router.get("/cells/{cell}/items")
def cell_items(
    request: HttpRequest,
    cell: str,
    layer: str = "bikes",
    window: str = "now",
    operator: str | None = None,
    district: str | None = None,
    hour: str | None = None,
    date: str | None = None,
) -> Any:
    """Drill-down: the bikes / notices / trips inside one cell."""
    q = heat_query(
        request,
        layer=layer,
        window=window,
        resolution="9",
        operator=operator,
        district=district,
        hour=hour,
        date=date,
    )
    return selectors.cell_items(cell=cell, layer=q.layer, q=q)


@router.get("/boundaries")
def boundaries(request: HttpRequest, district: str | None = None) -> Any:
    scope = access_city_view(request.user)
    return selectors.boundaries(district=selectors.parse_district(district, scope_id=scope))


class PlanIn(Schema):
    operator: str
    resolution: int = 9
    window_hours: int = 2
    trucks: int = 4
    truck_capacity: int = 20
    max_distance_m: float = 5000.0


def plan_out(plan: RebalancePlan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "operator": plan.operator.code,
        "operator_name": plan.operator.name,
        "created_at": plan.created_at.isoformat(),
        "window_start": plan.window_start.isoformat(),
        "window_hours": plan.window_hours,
        "resolution": plan.resolution,
        "demand_source": plan.demand_source,
        "total_bikes": plan.total_bikes,
        "acted_bikes": plan.acted_bikes,
        "evaluated_at": plan.evaluated_at.isoformat() if plan.evaluated_at else None,
        "moves": [
            {
                "from_cell": m.from_cell,
                "to_cell": m.to_cell,
                "from": [m.from_lng, m.from_lat],
                "to": [m.to_lng, m.to_lat],
                "bikes": m.bikes,
                "distance_m": m.distance_m,
                "truck_loads": m.truck_loads,
                "outcome": m.outcome,
                "acted_bikes": m.acted_bikes,
            }
            for m in plan.moves.all()
        ],
    }


@router.get("/rebalance/plans")
def rebalance_plans(request: HttpRequest, operator: str | None = None, limit: int = 10) -> Any:
    """The latest plans of the operators the user may see (an operator admin: its own)."""
    allowed = {op.pk: op for op in operators_for(request.user)}
    qs = RebalancePlan.objects.filter(operator_id__in=allowed).select_related("operator")
    if operator:
        qs = qs.filter(operator__code=operator)
    qs = qs.prefetch_related("moves")[: max(1, min(limit, 50))]
    return {"plans": [plan_out(p) for p in qs]}


@router.post("/rebalance/plans")
def rebalance_plan_new(request: HttpRequest, payload: PlanIn) -> Any:
    op_id, _ = selectors.parse_operator(payload.operator)
    assert op_id is not None
    operator = access_rebalance_operator(request.user, op_id)
    plan = rebalance_plan_create(
        operator=operator,
        by=request.user,
        resolution=payload.resolution,
        window_hours=payload.window_hours,
        trucks=payload.trucks,
        truck_capacity=payload.truck_capacity,
        max_distance_m=payload.max_distance_m,
        source_ip=request.META.get("REMOTE_ADDR"),
    )
    return plan_out(plan)


@router.post("/rebalance/plans/{plan_id}/evaluate")
def rebalance_plan_check(request: HttpRequest, plan_id: int) -> Any:
    plan = access_rebalance_plan(request.user, plan_id)
    return plan_out(
        rebalance_plan_evaluate(
            plan=plan, by=request.user, source_ip=request.META.get("REMOTE_ADDR")
        )
    )


@router.get("/fleet-size/runs")
def fleet_runs(request: HttpRequest) -> Any:
    require_role(request.user, *CITY_ROLES)
    return {
        "runs": [
            {
                "id": r.pk,
                "created_at": r.created_at.isoformat(),
                "target": r.target,
                "met": r.met,
                "fleet": r.fleet,
                "achieved": r.achieved,
                "demand_source": r.demand_source,
                "split_basis": r.split_basis,
                "split": r.split,
                "applied_at": r.applied_at.isoformat() if r.applied_at else None,
            }
            for r in FleetSizeRun.objects.all()[:20]
        ]
    }


@router.post("/fleet-size/runs/{run_id}/apply")
def fleet_run_apply(request: HttpRequest, run_id: int) -> Any:
    """Set operators' quotas from a run (chief / bureau admin; audited)."""
    run = access_fleet_run(request.user, run_id, apply=True)
    return {
        "applied": fleet_quota_apply(
            run=run, by=request.user, source_ip=request.META.get("REMOTE_ADDR")
        )
    }


@router.get("/operator/rebalance/plans", auth=operator_auth)
def operator_rebalance_plans(request: HttpRequest, limit: int = 5) -> Any:
    """For an operator's own systems (Bearer operator token): its latest guidance only."""
    token = request.auth  # type: ignore[attr-defined]
    qs = (
        RebalancePlan.objects.filter(operator_id=token.operator_id)
        .select_related("operator")
        .prefetch_related("moves")[: max(1, min(limit, 20))]
    )
    return {"plans": [plan_out(p) for p in qs]}
