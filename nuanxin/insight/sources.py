"""Where each heat-map layer's positions come from.

Other teams' models land at different times, so every source is looked up through the app
registry and checked for the fields it needs. A source that is not there yet reports itself
*absent* (with the reason) and the map/dashboard says so instead of drawing anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from django.apps import apps
from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

# MDS states of a bike standing on the street (not riding, not taken off the street).
PARKED_STATES = ("available", "non_operational", "reserved", "unknown", "")
NOTICE_CLOSED_STATES = ("fixed", "closed", "cancelled", "withdrawn", "resolved", "void")


@dataclass
class Points:
    lat: np.ndarray
    lng: np.ndarray
    operator_id: np.ndarray
    ids: np.ndarray  # primary keys, for drill-down

    @classmethod
    def empty(cls) -> Points:
        z = np.empty(0)
        return cls(z, z, z.astype(np.int64), z.astype(np.int64))

    def mask(self, keep: np.ndarray) -> Points:
        return Points(self.lat[keep], self.lng[keep], self.operator_id[keep], self.ids[keep])

    def __len__(self) -> int:
        return int(self.lat.shape[0])


@dataclass(frozen=True)
class Window:
    kind: str  # "now", "hour", "day"
    start: datetime | None
    end: datetime | None
    hour: int | None = None  # hour of day (Asia/Shanghai) for kind == "hour"
    days: int = 1


class SourceAbsent(Exception):
    """The model a layer reads has not landed (or lacks the fields it needs)."""


_TABLES_PRESENT: set[str] = set()


def model_or_none(label: str) -> type[Model] | None:
    """The model, if its app defines it *and* its table exists (migrations may lag)."""
    try:
        model = apps.get_model(label)
    except LookupError:
        return None
    table = model._meta.db_table
    if table not in _TABLES_PRESENT:
        if table not in connection.introspection.table_names():
            return None
        _TABLES_PRESENT.add(table)
    return model


def _fields(model: type[Model]) -> set[str]:
    return {f.name for f in model._meta.get_fields()}


def _need(label: str, *fields: str) -> type[Model]:
    model = model_or_none(label)
    if model is None:
        raise SourceAbsent(_("数据源 %(m)s 尚未接入。") % {"m": label})
    missing = [f for f in fields if f.split("__")[0] not in _fields(model)]
    if missing:
        raise SourceAbsent(
            _("数据源 %(m)s 缺少字段：%(f)s。") % {"m": label, "f": ", ".join(missing)}
        )
    return model


def _as_points(qs: QuerySet, lat: str, lng: str, operator: str) -> Points:
    rows = list(
        qs.exclude(**{f"{lat}__isnull": True}).values_list(lat, lng, operator, "pk").iterator()
    )
    if not rows:
        return Points.empty()
    arr = np.array(rows, dtype=np.float64)
    return Points(arr[:, 0], arr[:, 1], arr[:, 2].astype(np.int64), arr[:, 3].astype(np.int64))


def _hour_filter(field: str, window: Window) -> Q:
    # Hour of day in local time over the last `days` days: one range per day.
    q = Q()
    assert window.start is not None and window.hour is not None
    local = timezone.localtime(window.start)
    for d in range(window.days):
        day = local + dt.timedelta(days=d)
        start = day.replace(hour=window.hour, minute=0, second=0, microsecond=0)
        q |= Q(**{f"{field}__gte": start, f"{field}__lt": start + dt.timedelta(hours=1)})
    return q


def _time_filter(field: str, window: Window) -> Q:
    if window.kind == "hour":
        return _hour_filter(field, window)
    return Q(**{f"{field}__gte": window.start, f"{field}__lt": window.end})


def parked_bikes(window: Window) -> Points:
    if window.kind == "now":
        bike = _need("bikes.Bike", "lat", "lng", "vehicle_state", "operator")
        qs = bike._default_manager.filter(vehicle_state__in=PARKED_STATES)
        return _as_points(qs, "lat", "lng", "operator_id")
    # Past windows: where bikes were seen parked (MDS events in a parked state).
    event = _need("mds.MdsEvent", "lat", "lng", "vehicle_state", "timestamp", "operator")
    qs = event._default_manager.filter(vehicle_state__in=PARKED_STATES).filter(
        _time_filter("timestamp", window)
    )
    return _as_points(qs, "lat", "lng", "operator_id")


def trip_ends(window: Window, *, end: str) -> Points:
    trip = _need("mds.Trip", "start_lat", "end_lat", "start_time", "end_time", "operator")
    time_field = "start_time" if end == "start" else "end_time"
    qs = trip._default_manager.all()
    if window.kind == "now":
        since = timezone.now() - dt.timedelta(hours=1)
        qs = qs.filter(**{f"{time_field}__gte": since})
    else:
        qs = qs.filter(_time_filter(time_field, window))
    return _as_points(qs, f"{end}_lat", f"{end}_lng", "operator_id")


def _notice_model() -> type[Model]:
    notice = _need("notices.Notice", "status", "deadline", "fixed_at")
    return notice


def _notice_points(qs: QuerySet) -> Points:
    fields = _fields(qs.model)
    if {"lat", "lng"} <= fields:
        lat, lng = "lat", "lng"
    elif "bike" in fields:
        lat, lng = "bike__lat", "bike__lng"
    else:
        raise SourceAbsent(_("通知书没有位置字段。"))
    operator = "operator_id" if "operator" in fields else "bike__operator_id"
    return _as_points(qs, lat, lng, operator)


def open_notices_q(now: datetime) -> Q:
    return Q(fixed_at__isnull=True) & ~Q(status__in=NOTICE_CLOSED_STATES)


def notices(window: Window, *, overdue: bool) -> Points:
    notice = _notice_model()
    now = timezone.now()
    qs = notice._default_manager.filter(open_notices_q(now))
    if overdue:
        qs = qs.filter(deadline__lt=now)
    stamp = next((f for f in ("issued_at", "created_at") if f in _fields(notice)), None)
    if window.kind != "now" and stamp:
        qs = qs.filter(_time_filter(stamp, window))
    return _notice_points(qs)


def violations(window: Window) -> Points:
    """Parking violations: the compliance engine's checks with verdict "outside"."""
    check = _need("compliance.ParkingCheck", "lat", "lng", "verdict", "observed_at", "operator")
    qs = check._default_manager.filter(verdict="outside")
    if window.kind == "now":
        qs = qs.filter(observed_at__gte=timezone.now() - dt.timedelta(hours=1))
    else:
        qs = qs.filter(_time_filter("observed_at", window))
    return _as_points(qs, "lat", "lng", "operator_id")


LAYERS: dict[str, Callable[[Window], Points]] = {
    "bikes": parked_bikes,
    "violations": violations,
    "notices_open": lambda w: notices(w, overdue=False),
    "notices_overdue": lambda w: notices(w, overdue=True),
    "trip_origins": lambda w: trip_ends(w, end="start"),
    "trip_destinations": lambda w: trip_ends(w, end="end"),
}


def layer_labels() -> dict[str, str]:
    return {
        "bikes": _("停放车辆"),
        "violations": _("违规停放"),
        "notices_open": _("未整改通知"),
        "notices_overdue": _("逾期通知"),
        "trip_origins": _("骑行起点"),
        "trip_destinations": _("骑行终点"),
    }


def source_status() -> dict[str, Any]:
    """For each layer: available or the reason it is absent (no query of the rows)."""
    out: dict[str, Any] = {}
    checks = {
        "bikes": lambda: _need("bikes.Bike", "lat", "lng", "vehicle_state", "operator"),
        "violations": lambda: _need("compliance.ParkingCheck", "lat", "verdict", "observed_at"),
        "notices_open": _notice_model,
        "notices_overdue": _notice_model,
        "trip_origins": lambda: _need("mds.Trip", "start_lat", "start_time"),
        "trip_destinations": lambda: _need("mds.Trip", "end_lat", "end_time"),
    }
    for layer, check in checks.items():
        try:
            check()
            out[layer] = {"available": True}
        except SourceAbsent as exc:
            out[layer] = {"available": False, "reason": str(exc)}
    return out
