"""Reads for heat maps, spot supply and drill-down. Every input is validated here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import shape

from nuanxin.core.dbrouters import reports_on_replica
from nuanxin.core.errors import DomainError
from nuanxin.insight import h3agg
from nuanxin.insight.sources import LAYERS, Points, SourceAbsent, Window, layer_labels
from nuanxin.orgs.models import Bureau, District

WINDOWS = ("now", "hour", "day")
MAX_HOUR_DAYS = 60


@dataclass(frozen=True)
class HeatQuery:
    layer: str
    window: Window
    resolution: int
    operator_id: int | None
    operator_code: str
    district: District | None


def parse_resolution(value: Any) -> int:
    try:
        res = int(value)
    except (TypeError, ValueError):
        res = -1
    if not h3agg.MIN_RES <= res <= h3agg.MAX_RES:
        raise DomainError(
            "bad_resolution",
            _("H3分辨率须在 %(lo)d 到 %(hi)d 之间（收到：%(v)s）。")
            % {"lo": h3agg.MIN_RES, "hi": h3agg.MAX_RES, "v": value},
        )
    return res


def parse_window(
    kind: str, *, hour: Any = None, date: str | None = None, days: Any = None
) -> Window:
    if kind not in WINDOWS:
        raise DomainError(
            "bad_window",
            _("未知的时间窗口“%(w)s”；可选：now（当前）、hour（时段）、day（某日）。")
            % {"w": kind},
        )
    if kind == "now":
        return Window("now", None, timezone.now())
    today = timezone.localdate()
    if kind == "day":
        try:
            day = dt.date.fromisoformat(date) if date else today
        except ValueError as exc:
            raise DomainError(
                "bad_date", _("日期格式应为 YYYY-MM-DD（收到：%(v)s）。") % {"v": date}
            ) from exc
        start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        return Window("day", start, start + dt.timedelta(days=1))
    try:
        h = int(hour)
        n = int(days) if days not in (None, "") else 7
    except (TypeError, ValueError):
        h, n = -1, 0
    if not 0 <= h <= 23:
        raise DomainError(
            "bad_hour", _("时段须为 0 到 23 之间的整数（收到：%(v)s）。") % {"v": hour}
        )
    if not 1 <= n <= MAX_HOUR_DAYS:
        raise DomainError("bad_days", _("统计天数须在 1 到 %(n)d 之间。") % {"n": MAX_HOUR_DAYS})
    first = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=n - 1), dt.time.min))
    return Window("hour", first, first + dt.timedelta(days=n), hour=h, days=n)


# Layers that past windows read from raw MDS records, which are kept only so long
# (`nuanxin.mds.retention`): a day before that would draw an empty map, not the city.
RAW_RECORD_LAYERS = {"bikes": "events", "trip_origins": "trips", "trip_destinations": "trips"}


def window_retained(layer: str, window: Window) -> None:
    """Refuse a past window that starts before the raw records of `layer` are kept."""
    kind = RAW_RECORD_LAYERS.get(layer)
    if kind is None or window.start is None:
        return
    from nuanxin.mds.retention import retention_policy

    days = retention_policy().days[kind]
    kept_since = timezone.localdate() - dt.timedelta(days=days - 1)
    if timezone.localtime(window.start).date() < kept_since:
        raise DomainError(
            "window_past_retention",
            _("“%(layer)s”图层的原始数据只保存 %(days)d 天，可查询 %(since)s 及以后的日期。")
            % {"layer": layer_labels()[layer], "days": days, "since": kept_since.isoformat()},
        )


def parse_layer(layer: str) -> str:
    if layer not in LAYERS:
        raise DomainError(
            "bad_layer",
            _("未知的图层“%(l)s”；可选：%(all)s。") % {"l": layer, "all": ", ".join(LAYERS)},
        )
    return layer


def parse_operator(code: str | None) -> tuple[int | None, str]:
    from nuanxin.bikes.models import Operator

    if not code:
        return None, ""
    op = Operator.objects.filter(code=code).only("pk", "code").first()
    if op is None:
        raise DomainError("unknown_operator", _("未知的运营企业：%(c)s。") % {"c": code})
    return op.pk, op.code


def parse_district(district_id: Any, *, scope_id: int | None) -> District | None:
    """The district to filter on. A district-confined user always gets their own."""
    if scope_id is not None:
        if district_id not in (None, "") and str(district_id) != str(scope_id):
            raise DomainError("district_out_of_scope", _("您只能查看本辖区的数据。"))
        district_id = scope_id
    if district_id in (None, ""):
        return None
    try:
        district = District.objects.filter(pk=int(district_id)).first()
    except (TypeError, ValueError):
        district = None
    if district is None:
        raise DomainError("unknown_district", _("未知的辖区：%(d)s。") % {"d": district_id})
    try:
        geom = district.geometry
    except Exception:
        geom = None
    if geom is None or geom.is_empty or geom.area == 0:
        raise DomainError(
            "empty_district",
            _("辖区“%(n)s”没有有效的边界范围，无法按辖区统计。") % {"n": district.name},
        )
    return district


def within_district(points: Points, district: District | None) -> Points:
    if district is None or len(points) == 0:
        return points
    geom = district.geometry
    shapely.prepare(geom)
    keep = shapely.contains_xy(geom, points.lng, points.lat) | shapely.intersects_xy(
        geom.boundary, points.lng, points.lat
    )
    return points.mask(np.asarray(keep))


def load_points(q: HeatQuery) -> Points:
    points = LAYERS[q.layer](q.window)
    if q.operator_id is not None:
        points = points.mask(points.operator_id == q.operator_id)
    return within_district(points, q.district)


def heatmap(q: HeatQuery) -> dict[str, Any]:
    """Counts per H3 cell, read from the reports replica when one is configured."""
    with reports_on_replica():
        return _heatmap(q)


def _heatmap(q: HeatQuery) -> dict[str, Any]:
    """An absent source is reported, never faked."""
    base: dict[str, Any] = {
        "layer": q.layer,
        "layer_label": layer_labels()[q.layer],
        "window": q.window.kind,
        "hour": q.window.hour,
        "start": q.window.start.isoformat() if q.window.start else None,
        "end": q.window.end.isoformat() if q.window.end else None,
        "resolution": q.resolution,
        "operator": q.operator_code or None,
        "district": q.district.pk if q.district else None,
    }
    try:
        points = load_points(q)
    except SourceAbsent as exc:
        return {**base, "available": False, "reason": str(exc), "total": 0, "cells": []}
    cells: list[dict[str, Any]] = []
    if len(points):
        uniq, counts = h3agg.aggregate(points.lat, points.lng, q.resolution)
        for c, v in zip(uniq.tolist(), counts.tolist(), strict=True):
            s = h3agg.cell_str(c)
            lat, lng = h3agg.cell_center(s)
            cells.append({"cell": s, "value": int(v), "lat": round(lat, 6), "lng": round(lng, 6)})
        cells.sort(key=lambda c: -c["value"])
    return {
        **base,
        "available": True,
        "total": len(points),
        "max": cells[0]["value"] if cells else 0,
        "cells": cells,
    }


def heatmap_geojson(result: dict[str, Any]) -> dict[str, Any]:
    geo = h3agg.to_geojson(
        [c["cell"] for c in result["cells"]], [{"value": c["value"]} for c in result["cells"]]
    )
    geo["properties"] = {k: v for k, v in result.items() if k != "cells"}
    return geo


def spot_supply(
    *, operator_id: int | None, district: District | None, shortage_below: float = 0.2
) -> dict[str, Any]:
    """Parked bikes inside each spot in force against its capacity."""
    from nuanxin.bikes.selectors import spots_in_force

    now = timezone.now()
    spots = spots_in_force(at=now)
    if district is not None:
        geom = district.geometry
        spots = [s for s in spots if geom.covers(shapely.Point(s.center_lng, s.center_lat))]
    try:
        points = LAYERS["bikes"](Window("now", None, now))
    except SourceAbsent as exc:
        return {"available": False, "reason": str(exc), "spots": []}
    if operator_id is not None:
        points = points.mask(points.operator_id == operator_id)
    counts = np.zeros(len(spots), dtype=np.int64)
    if spots and len(points):
        polys = [shape(s.polygon) for s in spots]
        tree = shapely.STRtree(polys)
        pts = shapely.points(points.lng, points.lat)
        pairs = tree.query(pts, predicate="intersects")
        # A bike inside two overlapping fences counts once, for the first.
        _, first = np.unique(pairs[0], return_index=True)
        counts = np.bincount(pairs[1][first], minlength=len(spots))
    rows = []
    for s, n in zip(spots, counts.tolist(), strict=True):
        ratio = n / s.capacity if s.capacity else None
        if ratio is None:
            status = "unknown"
        elif n > s.capacity:
            status = "oversupply"
        elif ratio < shortage_below:
            status = "shortage"
        else:
            status = "ok"
        rows.append(
            {
                "spot_id": s.spot_id,
                "code": s.spot_code,
                "name": s.name,
                "lat": s.center_lat,
                "lng": s.center_lng,
                "capacity": s.capacity,
                "parked": n,
                "ratio": round(ratio, 3) if ratio is not None else None,
                "status": status,
            }
        )
    summary = {
        k: sum(1 for r in rows if r["status"] == k) for k in ("oversupply", "shortage", "ok")
    }
    return {"available": True, "spots": rows, "summary": summary}


def cell_items(*, cell: str, layer: str, q: HeatQuery, limit: int = 200) -> dict[str, Any]:
    """Drill-down: the rows behind one cell of a heat map."""
    if not h3agg.is_valid_cell(cell):
        raise DomainError("bad_cell", _("无效的H3网格编号：%(c)s。") % {"c": cell})
    res = h3agg.h3.get_resolution(cell)
    try:
        points = load_points(HeatQuery(layer, q.window, res, q.operator_id, "", q.district))
    except SourceAbsent as exc:
        return {"available": False, "reason": str(exc), "items": []}
    if len(points):
        cells = h3agg.cells_for(points.lat, points.lng, res)
        points = points.mask(cells == h3agg.cell_int(cell))
    ids = points.ids[:limit].tolist()
    return {
        "available": True,
        "cell": cell,
        "layer": layer,
        "count": len(points),
        "items": _describe(layer, ids),
    }


def _describe(layer: str, ids: list[int]) -> list[dict[str, Any]]:
    from nuanxin.insight.sources import model_or_none

    if layer == "bikes":
        from nuanxin.bikes.models import Bike

        return [
            {
                "id": b.pk,
                "label": b.plate,
                "operator": b.operator.name,
                "state": b.vehicle_state,
                "lat": b.lat,
                "lng": b.lng,
                "url": None,
            }
            for b in Bike.objects.filter(pk__in=ids).select_related("operator")
        ]
    if layer.startswith("notices"):
        notice = model_or_none("notices.Notice")
        if notice is None:
            return []
        out = []
        for n in notice._default_manager.filter(pk__in=ids):
            out.append(
                {
                    "id": n.pk,
                    "label": str(n),
                    "status": getattr(n, "status", ""),
                    "deadline": str(getattr(n, "deadline", "") or ""),
                    "url": f"/dashboard/notices/{n.pk}/",
                }
            )
        return out
    if layer.startswith("trip"):
        from nuanxin.mds.models import Trip

        return [
            {
                "id": t.pk,
                "label": str(t.trip_id)[:8],
                "operator": t.operator.name,
                "start": t.start_time.isoformat(),
                "end": t.end_time.isoformat(),
                "url": None,
            }
            for t in Trip.objects.filter(pk__in=ids).select_related("operator")
        ]
    return [{"id": i, "label": f"#{i}", "url": None} for i in ids]


def boundaries(*, district: District | None) -> dict[str, Any]:
    """City boundary, districts (and the spots in force) as GeoJSON for ECharts registerMap."""
    features = []
    bureau = Bureau.objects.first()
    if bureau and bureau.boundary and district is None:
        features.append(
            {
                "type": "Feature",
                "properties": {"name": bureau.name, "kind": "city"},
                "geometry": bureau.boundary,
            }
        )
    districts = [district] if district else list(District.objects.all())
    for d in districts:
        features.append(
            {
                "type": "Feature",
                "properties": {"name": d.name, "kind": "district", "id": d.pk},
                "geometry": d.boundary,
            }
        )
    return {"type": "FeatureCollection", "features": features}
