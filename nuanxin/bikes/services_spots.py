"""Writes for parking spots. Every change is a new SpotVersion; old ones are only closed."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import shape
from shapely.validation import explain_validity

from nuanxin.audit.services import audit_record
from nuanxin.bikes.models import Operator, Spot, SpotCategory, SpotVersion
from nuanxin.core.errors import DomainError
from nuanxin.lib.env import envint
from nuanxin.orgs.models import Bureau, District

CATEGORY_BY_LABEL = {str(c.label): c.value for c in SpotCategory}
# The model's column sizes, checked here so that a long value is a clear error, not a
# database error (PostgreSQL refuses it; SQLite would store it whole).
CODE_MAX = Spot._meta.get_field("code").max_length or 32
NAME_MAX = SpotVersion._meta.get_field("name").max_length or 100
ADDRESS_MAX = SpotVersion._meta.get_field("address").max_length or 200
# A sanity bound, far above any real spot (the policy's typical capacities are 8–80).
CAPACITY_MAX = 10_000
# How far in the past an effective time may lie and still be taken as "now": the time a
# form spends between the browser and the server (setting or env of the same name).
SPOT_PAST_TOLERANCE_SECONDS = 300


@dataclass(frozen=True)
class SpotIn:
    """A spot's content, as edited in the admin or imported from a file."""

    code: str
    name: str
    polygon: dict
    capacity: int
    category: str
    status: str = SpotVersion.Status.ACTIVE
    beacon_ids: tuple[str, ...] = ()
    address: str = ""
    # From a file: where the row is ("第 3 行", "第 2 个要素"), for spots_import's messages,
    # and what the parser found wrong with it (then nothing else is checked).
    ref: str = ""
    problem: str = ""


def spot_code(value: str) -> str:
    """A spot code as it is stored and compared: without surrounding spaces (any kind)."""
    return value.strip()


def spot_category(value: str) -> str:
    """Accept the code (`school`) or the Chinese label (学校)."""
    value = (value or "").strip() if isinstance(value, str | None) else ""
    if value in SpotCategory.values:
        return value
    if value in CATEGORY_BY_LABEL:
        return CATEGORY_BY_LABEL[value]
    raise DomainError(
        "spot_category",
        _("停放点类别“%(value)s”无效，应为：小区、医院、学校、商超、企事业、道路。")
        % {"value": value},
    )


def spot_geometry_check(polygon: Any) -> dict[str, float]:
    """Validate a WGS-84 GeoJSON Polygon; returns its centre and bounding box."""
    if not isinstance(polygon, dict) or polygon.get("type") != "Polygon":
        raise DomainError("spot_polygon", _("停放点范围必须是 GeoJSON Polygon。"))
    _rings_check(polygon.get("coordinates"))
    try:
        geom = shape(polygon)
        valid = not geom.is_empty and geom.is_valid
    except Exception as exc:  # shapely raises several kinds for malformed rings
        raise DomainError("spot_polygon", _("停放点范围无法解析：%(e)s") % {"e": exc}) from exc
    if not valid:
        raise DomainError(
            "spot_polygon",
            _("停放点范围不是有效多边形：%(why)s") % {"why": explain_validity(geom)},
        )
    west, south, east, north = geom.bounds
    if not (
        -180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90
    ):
        raise DomainError("spot_polygon", _("坐标超出经纬度范围（应为 [经度, 纬度]）。"))
    bureau = Bureau.objects.exclude(boundary=None).first()
    if bureau is not None and not shape(bureau.boundary).covers(geom):
        raise DomainError("spot_outside_city", _("停放点不在本市管辖范围内。"))
    c = geom.representative_point() if not geom.centroid.within(geom) else geom.centroid
    return {
        "center_lat": round(c.y, 7),
        "center_lng": round(c.x, 7),
        "min_lng": west,
        "min_lat": south,
        "max_lng": east,
        "max_lat": north,
    }


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _rings_check(rings: Any) -> None:
    """The shape of a Polygon's coordinates, checked before shapely reads them (its own
    errors are technical and in English)."""
    if not isinstance(rings, list) or not rings:
        raise DomainError(
            "spot_polygon", _("停放点范围的 coordinates 必须是由坐标环组成的非空数组。")
        )
    for r, ring in enumerate(rings, start=1):
        if not isinstance(ring, list) or len(ring) < 4:
            raise DomainError(
                "spot_polygon",
                _("停放点范围的第 %(ring)d 个坐标环至少需要 4 个坐标点（首尾相同）。")
                % {"ring": r},
            )
        for p, point in enumerate(ring, start=1):
            if not (
                isinstance(point, list)
                and len(point) in (2, 3)
                and all(_is_number(x) for x in point)
            ):
                raise DomainError(
                    "spot_polygon",
                    _("停放点范围第 %(ring)d 个坐标环的第 %(point)d 个点不是 [经度, 纬度] 数值。")
                    % {"ring": r, "point": p},
                )
        if ring[0] != ring[-1]:
            raise DomainError(
                "spot_polygon",
                _("停放点范围的第 %(ring)d 个坐标环首尾坐标点必须相同。") % {"ring": r},
            )


def _spot_content_check(data: SpotIn) -> dict[str, Any]:
    code = spot_code(data.code) if isinstance(data.code, str) else ""
    if not code:
        raise DomainError("spot_code", _("停放点编号不能为空。"))
    if len(code) > CODE_MAX:
        raise DomainError("spot_code", _("停放点编号不能超过 %(n)d 个字符。") % {"n": CODE_MAX})
    name = data.name.strip() if isinstance(data.name, str) else ""
    if not name:
        raise DomainError("spot_name", _("停放点名称不能为空。"))
    if len(name) > NAME_MAX:
        raise DomainError("spot_name", _("停放点名称不能超过 %(n)d 个字符。") % {"n": NAME_MAX})
    address = data.address.strip() if isinstance(data.address, str) else ""
    if len(address) > ADDRESS_MAX:
        raise DomainError("spot_address", _("位置描述不能超过 %(n)d 个字符。") % {"n": ADDRESS_MAX})
    if not isinstance(data.capacity, int) or isinstance(data.capacity, bool) or data.capacity < 1:
        raise DomainError("spot_capacity", _("停放点容量必须是正整数。"))
    if data.capacity > CAPACITY_MAX:
        raise DomainError(
            "spot_capacity", _("停放点容量不能超过 %(max)d 辆。") % {"max": CAPACITY_MAX}
        )
    if data.status not in SpotVersion.Status.values:
        raise DomainError("spot_status", _("停放点状态无效。"))
    beacons = [str(b).strip() for b in data.beacon_ids if str(b).strip()]
    return {
        "name": name,
        "address": address,
        "polygon": data.polygon,
        "capacity": data.capacity,
        "category": spot_category(data.category),
        "status": data.status,
        "beacon_ids": beacons,
        **spot_geometry_check(data.polygon),
    }


def _republish_policy() -> None:
    """After a spot change commits, publish a new MDS policy if the stops in force changed."""
    from nuanxin.mds.policy import policy_publish

    transaction.on_commit(lambda: policy_publish(by=None))


def _district_for(lat: float, lng: float) -> District | None:
    for d in District.objects.all():
        if d.contains(lat=lat, lng=lng):
            return d
    return None


# --- when a version takes effect --------------------------------------------------------
#
# A decision records the spot version it was judged against, and `mds_reevaluate` judges a
# stored observation again against the spots in force at its own time. A version dated in
# the past would change the spots of moments already judged (and the geographies already
# published): so a change takes effect now or later. A brand-new spot may be dated back only
# to a moment after which nothing was observed (seed data, a first import): no decision
# about that time exists yet. `spot_save_backdated` is the seed and test path.


def spot_past_tolerance() -> timedelta:
    """How far in the past an effective time may lie and still be taken as "now"."""
    seconds = getattr(settings, "SPOT_PAST_TOLERANCE_SECONDS", None)
    if seconds is None:
        seconds = envint("SPOT_PAST_TOLERANCE_SECONDS", SPOT_PAST_TOLERANCE_SECONDS)
    return timedelta(seconds=max(0, int(seconds)))


def _local(t: datetime) -> str:
    return timezone.localtime(t).strftime("%Y-%m-%d %H:%M:%S")


def observed_since(at: datetime) -> bool:
    """Whether anything observed at or after `at` was, or could be, judged against the spots
    of its time: a stored decision, an event (`mds_reevaluate` judges events again) or a
    telemetry point decided in spot. Indexed reads; only a backdated new spot asks."""
    from nuanxin.compliance.models import ParkingCheck
    from nuanxin.mds.models import MdsEvent, Telemetry

    if ParkingCheck.objects.filter(observed_at__gte=at).exists():
        return True
    for operator_id in Operator.objects.values_list("pk", flat=True):
        # The (operator, timestamp) indexes: one short range read per operator.
        if MdsEvent.objects.filter(operator_id=operator_id, timestamp__gte=at).exists():
            return True
        decided = Telemetry.objects.filter(decision__isnull=False)
        if decided.filter(operator_id=operator_id, timestamp__gte=at).exists():
            return True
    return False


@dataclass(frozen=True)
class EffectiveTime:
    """An effective time as asked, resolved once against the clock (see `effective_time`)."""

    when: datetime  # the time the version takes effect (a date within the tolerance: now)
    now: datetime
    past: bool  # before now beyond the tolerance (only a backdated path may keep it)
    backdate: bool = False


def effective_time(effective_from: datetime | None, *, backdate: bool = False) -> EffectiveTime:
    now = timezone.now()
    when = effective_from or now
    past = when < now - spot_past_tolerance()
    if when < now and not past and not backdate:
        when = now  # form latency: a version never starts before the moment it is written
    return EffectiveTime(when=when, now=now, past=past and not backdate, backdate=backdate)


def spot_effective_check(
    *, spot: Spot | None, at: EffectiveTime, observed: bool | None = None
) -> datetime:
    """The rule for the time a new version of `spot` (None: a spot not yet created) takes
    effect: DomainError naming the problem, or the time. Services, the admin form and
    imports all call it. `observed`: `observed_since(at.when)`, when the caller knows it."""
    if at.past and spot is not None:
        raise DomainError(
            "spot_effective_past",
            _(
                "生效时间 %(t)s 早于当前时间：停放点的变更只能从现在或将来生效，"
                "已作出的停放判定须能按当时的停放点复核。"
            )
            % {"t": _local(at.when)},
        )
    if at.past and (observed if observed is not None else observed_since(at.when)):
        raise DomainError(
            "spot_effective_past",
            _(
                "生效时间 %(t)s 早于当前时间，且此后已有车辆上报被判定：新停放点只能从现在"
                "或将来生效。"
            )
            % {"t": _local(at.when)},
        )
    if spot is None:
        return at.when
    current = spot.versions.order_by("-version").first()
    if current is not None and current.effective_from > at.when:
        if current.effective_from > at.now:
            raise DomainError(
                "spot_effective_from",
                _(
                    "该停放点已排定第 %(v)d 版于 %(t)s 生效：新版本（含撤销）的生效时间不能"
                    "早于它，请把生效时间定在 %(t)s 之后。"
                )
                % {"v": current.version, "t": _local(current.effective_from)},
            )
        raise DomainError(
            "spot_effective_from",
            _("新版本的生效时间不能早于当前版本（第 %(v)d 版，%(t)s 起生效）。")
            % {"v": current.version, "t": _local(current.effective_from)},
        )
    return at.when


def spot_change_check(*, spot: Spot | None, effective_from: datetime | None) -> datetime:
    """`spot_effective_check` for one change asked now (the admin form's clean())."""
    return spot_effective_check(spot=spot, at=effective_time(effective_from))


# --- writes -----------------------------------------------------------------------------


def _spot_write(
    *, data: SpotIn, at: EffectiveTime, by: Any, note: str, observed: bool | None = None
) -> tuple[Spot, SpotVersion, bool]:
    content = _spot_content_check(data)
    code = spot_code(data.code)
    spot = Spot.objects.select_for_update().filter(code=code).first()
    when = spot_effective_check(spot=spot, at=at, observed=observed)
    created = spot is None
    if spot is None:
        spot = Spot.objects.create(
            code=code, district=_district_for(content["center_lat"], content["center_lng"])
        )
        number = 1
    else:
        current = spot.versions.order_by("-version").first()
        number = (current.version + 1) if current else 1
        spot.versions.filter(effective_to__isnull=True).update(effective_to=when)
        spot.versions.filter(effective_to__gt=when).update(effective_to=when)
    version = SpotVersion.objects.create(
        spot=spot,
        version=number,
        effective_from=when,
        created_by=by if getattr(by, "pk", None) else None,
        change_note=note,
        **content,
    )
    return spot, version, created


def _spot_save(*, data: SpotIn, by: Any, at: EffectiveTime, note: str) -> SpotVersion:
    spot, version, created = _spot_write(data=data, at=at, by=by, note=note)
    _republish_policy()
    audit_record(
        actor=by,
        action="spot.create" if created else "spot.change",
        obj=spot,
        after={
            "version": version.version,
            "effective_from": version.effective_from.isoformat(),
            "capacity": version.capacity,
            "category": version.category,
            "status": version.status,
            **({"backdated": True} if at.backdate else {}),
        },
    )
    return version


@transaction.atomic
def spot_save(
    *, data: SpotIn, by: Any, effective_from: datetime | None = None, note: str = ""
) -> SpotVersion:
    """Create a spot, or give an existing one (same code) a new version from `effective_from`
    (now when None; never in the past: `spot_effective_check`)."""
    return _spot_save(data=data, by=by, at=effective_time(effective_from), note=note)


@transaction.atomic
def spot_save_backdated(
    *, data: SpotIn, by: Any, effective_from: datetime, note: str = ""
) -> SpotVersion:
    """Seed data and tests only: `spot_save` at any date, the past included, to build a
    history (no staff form or import reaches it). A version still never starts before the
    spot's current one."""
    return _spot_save(data=data, by=by, at=effective_time(effective_from, backdate=True), note=note)


@transaction.atomic
def spot_retire(
    *, spot: Spot, by: Any, effective_from: datetime | None = None, note: str = ""
) -> SpotVersion:
    """Retire a spot: a last version with status retired (history stays replayable)."""
    current = spot.versions.order_by("-version").first()
    if current is None:
        raise DomainError("spot_empty", _("停放点没有任何版本。"))
    if current.status == SpotVersion.Status.RETIRED:
        raise DomainError("spot_retired", _("停放点已撤销。"))
    data = SpotIn(
        code=spot.code,
        name=current.name,
        polygon=current.polygon,
        capacity=current.capacity,
        category=current.category,
        status=SpotVersion.Status.RETIRED,
        beacon_ids=tuple(current.beacon_ids),
        address=current.address,
    )
    at = effective_time(effective_from)
    _spot, version, _created = _spot_write(data=data, at=at, by=by, note=note)
    _republish_policy()
    audit_record(
        actor=by,
        action="spot.retire",
        obj=spot,
        after={"version": version.version, "effective_from": version.effective_from.isoformat()},
    )
    return version


@transaction.atomic
def spots_import(
    *, rows: list[SpotIn], by: Any, effective_from: datetime | None = None, source: str = ""
) -> list[SpotVersion]:
    """All rows or nothing: DomainError(spot_import) lists every bad row, nothing is stored.

    Codes are compared as they are stored (`spot_code`), so "A" and "A " are duplicates.
    Every row takes effect at the same time, checked as `spot_save` checks it."""
    errors: list[str] = []
    rows = [replace(r, code=spot_code(r.code)) if isinstance(r.code, str) else r for r in rows]
    at = effective_time(effective_from)
    codes = [r.code for r in rows if isinstance(r.code, str) and r.code and not r.problem]
    existing = Spot.objects.in_bulk(codes, field_name="code")
    observed: bool | None = None
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        where = row.ref or _("第 %(n)d 行") % {"n": number}
        try:
            if row.problem:
                raise DomainError("spot_import", row.problem)
            _spot_content_check(row)
            if row.code in seen:
                raise DomainError("spot_code", _("编号 %(code)s 重复。") % {"code": row.code})
            seen.add(row.code)
            spot = existing.get(row.code)
            if at.past and spot is None and observed is None:
                observed = observed_since(at.when)
            spot_effective_check(spot=spot, at=at, observed=observed)
        except DomainError as exc:
            errors.append(_("%(where)s：%(msg)s") % {"where": where, "msg": exc.message})
    if not rows:
        errors.append(_("文件中没有停放点。"))
    if errors:
        raise DomainError(
            "spot_import",
            _("导入失败，未保存任何停放点。") + " " + "；".join(errors[:50]),
            rows=errors,
        )
    versions = [_spot_write(data=r, at=at, by=by, note=source, observed=observed)[1] for r in rows]
    _republish_policy()
    audit_record(
        actor=by,
        action="spot.import",
        object_type="bikes.Spot",
        after={"count": len(versions), "source": source, "effective_from": at.when.isoformat()},
    )
    return versions
