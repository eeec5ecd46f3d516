"""The city operations dashboard's panels, each filtered to the viewer's district.

Every panel reads another team's model through the app registry. When a model has not
landed (or lacks a field), the panel says which data source is absent; it never invents
numbers.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely
from django.db.models import Count, Model, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from nuanxin.core.dbrouters import reports_on_replica
from nuanxin.insight.sources import NOTICE_CLOSED_STATES, SourceAbsent, model_or_none
from nuanxin.orgs.models import District

TREND_DAYS = 30


def _model(label: str, *fields: str) -> type[Model]:
    model = model_or_none(label)
    if model is None:
        raise SourceAbsent(_("数据源 %(m)s 尚未接入。") % {"m": label})
    names = {f.name for f in model._meta.get_fields()}
    missing = [f for f in fields if f not in names]
    if missing:
        raise SourceAbsent(
            _("数据源 %(m)s 缺少字段：%(f)s。") % {"m": label, "f": ", ".join(missing)}
        )
    return model


def _fields(model: type[Model]) -> set[str]:
    return {f.name for f in model._meta.get_fields()}


def _in_district(qs: QuerySet, district: District | None, *, via: str | None = None) -> QuerySet:
    """Scope rows to a district: by its FK when the model has one, else by position."""
    if district is None:
        return qs
    names = _fields(qs.model)
    if via is None and "district" in names:
        return qs.filter(district_id=district.pk)
    lat, lng = (f"{via}__lat", f"{via}__lng") if via else ("lat", "lng")
    if via is None and not {"lat", "lng"} <= names:
        if "bike" in names:
            return _in_district(qs, district, via="bike")
        raise SourceAbsent(_("数据无法按辖区过滤（无辖区或位置字段）。"))
    rows = list(qs.exclude(**{f"{lat}__isnull": True}).values_list("pk", lat, lng))
    if not rows:
        return qs.none()
    arr = np.array(rows, dtype=np.float64)
    geom = district.geometry
    shapely.prepare(geom)
    keep = (
        shapely.covers_xy(geom, arr[:, 2], arr[:, 1])
        if hasattr(shapely, "covers_xy")
        else (shapely.contains_xy(geom, arr[:, 2], arr[:, 1]))
    )
    return qs.filter(pk__in=arr[keep, 0].astype(np.int64).tolist())


def _choices_label(model: type[Model], field: str) -> dict[str, str]:
    f = model._meta.get_field(field)
    return {str(k): str(v) for k, v in (getattr(f, "choices", None) or [])}


def _by(qs: QuerySet, field: str) -> list[dict[str, Any]]:
    labels = _choices_label(qs.model, field)
    rows = qs.values(field).annotate(n=Count("pk")).order_by(field)
    return [
        {
            "key": r[field],
            "label": labels.get(str(r[field]), str(r[field]) or _("未知")),
            "n": r["n"],
        }
        for r in rows
    ]


def panel(fn: Callable[[District | None], dict[str, Any]]) -> Callable:
    def wrapped(district: District | None) -> dict[str, Any]:
        try:
            return {"available": True, **fn(district)}
        except SourceAbsent as exc:
            return {"available": False, "reason": str(exc)}

    wrapped.__name__ = fn.__name__
    return wrapped


@panel
def bikes_by_operator_state(district: District | None) -> dict[str, Any]:
    bike = _model("bikes.Bike", "operator", "vehicle_state", "lat")
    qs = _in_district(bike._default_manager.all(), district, via=None)
    rows = qs.values("operator__name", "vehicle_state").annotate(n=Count("pk"))
    operators = sorted({r["operator__name"] for r in rows})
    states = sorted({r["vehicle_state"] or "unknown" for r in rows})
    matrix = {s: [0] * len(operators) for s in states}
    for r in rows:
        matrix[r["vehicle_state"] or "unknown"][operators.index(r["operator__name"])] = r["n"]
    return {
        "operators": operators,
        "series": [{"state": s, "counts": matrix[s]} for s in states],
        "total": sum(r["n"] for r in rows),
    }


def _notice_qs(district: District | None) -> QuerySet:
    notice = _model("notices.Notice", "status", "deadline", "fixed_at")
    return _in_district(notice._default_manager.all(), district)


@panel
def notices(district: District | None) -> dict[str, Any]:
    qs = _notice_qs(district)
    now = timezone.now()
    open_q = Q(fixed_at__isnull=True) & ~Q(status__in=NOTICE_CLOSED_STATES)
    open_n = qs.filter(open_q).count()
    overdue = qs.filter(open_q, deadline__lt=now).count()
    fixed_qs = qs.filter(fixed_at__isnull=False)
    fixed = fixed_qs.count()
    # Rectification rate: fixed ÷ (fixed + past their deadline and still unfixed).
    rate = fixed / (fixed + overdue) if (fixed + overdue) else None
    created = next(
        (f for f in ("issued_at", "created_at", "sent_at") if f in _fields(qs.model)), None
    )
    median_min = None
    if created:
        spans = [
            (f - c).total_seconds() / 60.0
            for c, f in fixed_qs.values_list(created, "fixed_at")[:5000]
            if c and f
        ]
        median_min = round(statistics.median(spans), 1) if spans else None
    return {
        "open": open_n,
        "overdue": overdue,
        "fixed": fixed,
        "rectification_rate": round(rate, 4) if rate is not None else None,
        "median_fix_minutes": median_min,
        "by_status": _by(qs, "status"),
    }


@panel
def complaints(district: District | None) -> dict[str, Any]:
    complaint = _model("feedback.Complaint", "status")
    qs = _in_district(complaint._default_manager.all(), district)
    return {"by_stage": _by(qs, "status"), "total": qs.count()}


@panel
def cases(district: District | None) -> dict[str, Any]:
    case = _model("cases.Case", "status", "district")
    qs = _in_district(case._default_manager.all(), district)
    return {"by_stage": _by(qs, "status"), "total": qs.count()}


def _today_range() -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))
    return start, start + dt.timedelta(days=1)


def _count_today(
    label: str, time_field: str, district: District | None, district_path: str = "district"
) -> dict[str, Any]:
    try:
        model = _model(label, time_field, district_path.split("__")[0])
        start, end = _today_range()
        qs = model._default_manager.filter(
            **{f"{time_field}__gte": start, f"{time_field}__lt": end}
        )
        if district is not None:
            qs = qs.filter(**{f"{district_path}_id": district.pk})
        return {"available": True, "n": qs.count()}
    except SourceAbsent as exc:
        return {"available": False, "reason": str(exc)}


def enforcement_today(district: District | None) -> dict[str, Any]:
    """首违普法 / 二次告诫 / 处罚: education, warnings and penalty cases filed today."""
    return {
        "available": True,
        "education": _count_today(
            "violations.Education", "educated_at", district, "violation__district"
        ),
        "warning": _count_today("violations.Warning", "warned_at", district, "violation__district"),
        "penalty": _count_today("cases.Case", "created_at", district),
    }


@panel
def merchants_by_credit(district: District | None) -> dict[str, Any]:
    state = _model("credit.CreditState", "merchant", "level")
    qs = state._default_manager.all()
    if district is not None:
        qs = qs.filter(merchant__district_id=district.pk)
    rows = qs.values("level").annotate(n=Count("pk")).order_by("level")
    merchant = _model("merchants.Merchant", "district")
    mqs = merchant._default_manager.all()
    if district is not None:
        mqs = mqs.filter(district_id=district.pk)
    rated = sum(r["n"] for r in rows)
    return {
        "by_level": [{"key": r["level"], "label": r["level"], "n": r["n"]} for r in rows],
        "unrated": max(mqs.count() - rated, 0),
    }


def _daily(qs: QuerySet, field: str, start: dt.datetime) -> dict[str, int]:
    rows = (
        qs.filter(**{f"{field}__gte": start})
        .annotate(day=TruncDate(field, tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("pk"))
    )
    return {r["day"].isoformat(): r["n"] for r in rows if r["day"]}


def trends(district: District | None) -> dict[str, Any]:
    """Daily counts over the last 30 days, one series per available source."""
    today = timezone.localdate()
    days = [(today - dt.timedelta(days=i)).isoformat() for i in range(TREND_DAYS - 1, -1, -1)]
    start = timezone.make_aware(
        dt.datetime.combine(today - dt.timedelta(days=TREND_DAYS - 1), dt.time.min)
    )
    specs = [
        ("trips", _("骑行"), "mds.Trip", "start_time"),
        ("notices", _("违停通知"), "notices.Notice", None),
        ("complaints", pgettext("dashboard trend", "投诉"), "feedback.Complaint", "created_at"),
        ("cases", _("立案"), "cases.Case", "created_at"),
    ]
    series, absent = [], []
    for key, label, model_label, field in specs:
        try:
            model = model_or_none(model_label)
            if model is None:
                raise SourceAbsent(_("数据源 %(m)s 尚未接入。") % {"m": model_label})
            names = _fields(model)
            field = field or next((f for f in ("issued_at", "created_at") if f in names), None)
            if field is None or field not in names:
                raise SourceAbsent(_("数据源 %(m)s 没有时间字段。") % {"m": model_label})
            qs = model._default_manager.all()
            if key == "trips" and district is not None:
                qs = _trips_in_district(qs, district)
            else:
                qs = _in_district(qs, district)
            counts = _daily(qs, field, start)
            series.append({"key": key, "label": label, "data": [counts.get(d, 0) for d in days]})
        except SourceAbsent as exc:
            absent.append({"key": key, "label": label, "reason": str(exc)})
    return {"available": True, "days": days, "series": series, "absent": absent}


def _trips_in_district(qs: QuerySet, district: District) -> QuerySet:
    w, s, e, n = district.geometry.bounds
    qs = qs.filter(start_lat__gte=s, start_lat__lte=n, start_lng__gte=w, start_lng__lte=e)
    rows = list(qs.values_list("pk", "start_lat", "start_lng"))
    if not rows:
        return qs.none()
    arr = np.array(rows, dtype=np.float64)
    keep = shapely.contains_xy(district.geometry, arr[:, 2], arr[:, 1])
    return qs.filter(pk__in=arr[keep, 0].astype(np.int64).tolist())


PANELS: dict[str, Callable[[District | None], dict[str, Any]]] = {
    "bikes": bikes_by_operator_state,
    "notices": notices,
    "complaints": complaints,
    "cases": cases,
    "enforcement_today": enforcement_today,
    "merchants": merchants_by_credit,
    "trends": trends,
}


def summary(district: District | None) -> dict[str, Any]:
    """All panels; read from the reports replica when one is configured (seconds of lag are
    fine for a dashboard that refreshes itself)."""
    with reports_on_replica():
        panels = {name: fn(district) for name, fn in PANELS.items()}
    return {
        "generated_at": timezone.now().isoformat(),
        "district": {"id": district.pk, "name": district.name} if district else None,
        "panels": panels,
    }
