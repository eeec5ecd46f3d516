"""Writes for parking spots. Every change is a new SpotVersion; old ones are only closed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import shape
from shapely.validation import explain_validity

from nuanxin.audit.services import audit_record
from nuanxin.bikes.models import Spot, SpotCategory, SpotVersion
from nuanxin.core.errors import DomainError
from nuanxin.orgs.models import Bureau, District

CATEGORY_BY_LABEL = {str(c.label): c.value for c in SpotCategory}


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


def spot_category(value: str) -> str:
    """Accept the code (`school`) or the Chinese label (学校)."""
    value = (value or "").strip()
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
    try:
        geom = shape(polygon)
    except Exception as exc:  # shapely raises several kinds for malformed rings
        raise DomainError("spot_polygon", _("停放点范围无法解析：%(e)s") % {"e": exc}) from exc
    if geom.is_empty or not geom.is_valid:
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


def _spot_content_check(data: SpotIn) -> dict[str, Any]:
    if not data.code.strip():
        raise DomainError("spot_code", _("停放点编号不能为空。"))
    if not data.name.strip():
        raise DomainError("spot_name", _("停放点名称不能为空。"))
    if not isinstance(data.capacity, int) or isinstance(data.capacity, bool) or data.capacity < 1:
        raise DomainError("spot_capacity", _("停放点容量必须是正整数。"))
    if data.status not in SpotVersion.Status.values:
        raise DomainError("spot_status", _("停放点状态无效。"))
    beacons = [str(b).strip() for b in data.beacon_ids if str(b).strip()]
    return {
        "name": data.name.strip(),
        "address": data.address.strip(),
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


def _spot_write(
    *, data: SpotIn, effective_from: datetime, by: Any, note: str
) -> tuple[Spot, SpotVersion, bool]:
    content = _spot_content_check(data)
    spot = Spot.objects.select_for_update().filter(code=data.code.strip()).first()
    created = spot is None
    if spot is None:
        spot = Spot.objects.create(
            code=data.code.strip(),
            district=_district_for(content["center_lat"], content["center_lng"]),
        )
        number = 1
    else:
        current = spot.versions.order_by("-version").first()
        number = (current.version + 1) if current else 1
        if current and current.effective_from > effective_from:
            raise DomainError(
                "spot_effective_from",
                _("新版本的生效时间不能早于当前版本（%(t)s）。") % {"t": current.effective_from},
            )
        spot.versions.filter(effective_to__isnull=True).update(effective_to=effective_from)
        spot.versions.filter(effective_to__gt=effective_from).update(effective_to=effective_from)
    version = SpotVersion.objects.create(
        spot=spot,
        version=number,
        effective_from=effective_from,
        created_by=by if getattr(by, "pk", None) else None,
        change_note=note,
        **content,
    )
    return spot, version, created


@transaction.atomic
def spot_save(
    *, data: SpotIn, by: Any, effective_from: datetime | None = None, note: str = ""
) -> SpotVersion:
    """Create a spot, or give an existing one (same code) a new version from `effective_from`."""
    when = effective_from or timezone.now()
    spot, version, created = _spot_write(data=data, effective_from=when, by=by, note=note)
    _republish_policy()
    audit_record(
        actor=by,
        action="spot.create" if created else "spot.change",
        obj=spot,
        after={
            "version": version.version,
            "effective_from": when.isoformat(),
            "capacity": version.capacity,
            "category": version.category,
            "status": version.status,
        },
    )
    return version


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
    when = effective_from or timezone.now()
    _spot, version, _created = _spot_write(data=data, effective_from=when, by=by, note=note)
    _republish_policy()
    audit_record(actor=by, action="spot.retire", obj=spot, after={"version": version.version})
    return version


@transaction.atomic
def spots_import(
    *, rows: list[SpotIn], by: Any, effective_from: datetime | None = None, source: str = ""
) -> list[SpotVersion]:
    """All rows or nothing: DomainError(spot_import) lists every bad row, nothing is stored."""
    errors: list[str] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        try:
            _spot_content_check(row)
            if row.code in seen:
                raise DomainError("spot_code", _("编号 %(code)s 重复。") % {"code": row.code})
            seen.add(row.code)
        except DomainError as exc:
            errors.append(_("第 %(n)d 行：%(msg)s") % {"n": number, "msg": exc.message})
    if not rows:
        errors.append(_("文件中没有停放点。"))
    if errors:
        raise DomainError(
            "spot_import",
            _("导入失败，未保存任何停放点。") + " " + "；".join(errors[:50]),
            rows=errors,
        )
    when = effective_from or timezone.now()
    versions = [_spot_write(data=r, effective_from=when, by=by, note=source)[1] for r in rows]
    _republish_policy()
    audit_record(
        actor=by,
        action="spot.import",
        object_type="bikes.Spot",
        after={"count": len(versions), "source": source, "effective_from": when.isoformat()},
    )
    return versions
