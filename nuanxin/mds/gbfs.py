"""GBFS 3.0 feeds built from the spots in force (stations = spots, station_area = polygon).

vehicle_status.json is deliberately not published: GBFS requires its vehicle_id to rotate after
every trip and we will never expose plates or device_ids; counts per station are enough.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely
from django.conf import settings
from django.utils import timezone
from shapely.geometry import mapping, shape
from shapely.geometry.polygon import orient

from nuanxin.bikes.models import Bike, SpotCategory
from nuanxin.bikes.selectors import SpotSnapshot, spots_in_force, spots_version_stamp
from nuanxin.orgs.models import Bureau

GBFS_VERSION = "3.0"
TTL = 60
FEEDS = [
    "system_information",
    "vehicle_types",
    "station_information",
    "station_status",
    "geofencing_zones",
]
PARKING_TYPE = {
    SpotCategory.ROAD: "street_parking",
    SpotCategory.SHOPPING: "sidewalk_parking",
}
VEHICLE_TYPES: list[dict[str, Any]] = [
    {
        "vehicle_type_id": "bicycle-human",
        "form_factor": "bicycle",
        "propulsion_type": "human",
        "name": "人力自行车",
    },
    {
        "vehicle_type_id": "bicycle-electric_assist",
        "form_factor": "bicycle",
        "propulsion_type": "electric_assist",
        "max_range_meters": 40000,
        "name": "电助力自行车",
    },
]
_cache: dict[str, tuple[float, Any]] = {}


def _text(zh: str, en: str | None = None) -> list[dict[str, str]]:
    out = [{"text": zh, "language": "zh-CN"}]
    if en:
        out.append({"text": en, "language": "en"})
    return out


def _envelope(data: dict[str, Any], updated: datetime | None = None) -> dict[str, Any]:
    when = (updated or timezone.now()).astimezone(UTC).replace(microsecond=0)
    return {
        "last_updated": when.isoformat().replace("+00:00", "Z"),
        "ttl": TTL,
        "version": GBFS_VERSION,
        "data": data,
    }


def _multipolygon(polygon: dict) -> dict[str, Any]:
    geom = orient(shape(polygon), sign=1.0)  # right-hand rule (RFC 7946)
    coords = mapping(geom)["coordinates"]
    rings = [[[round(x, 6), round(y, 6)] for x, y in ring] for ring in coords]
    return {"type": "MultiPolygon", "coordinates": [rings]}


def gbfs_manifest(base_url: str) -> dict[str, Any]:
    return _envelope({"feeds": [{"name": f, "url": f"{base_url}/gbfs/{f}.json"} for f in FEEDS]})


def system_information() -> dict[str, Any]:
    bureau = Bureau.objects.first()
    name = bureau.name if bureau else settings.BUREAU_NAME
    data: dict[str, Any] = {
        "system_id": "nuanxin-bikes",
        "languages": ["zh-CN", "en"],
        "name": _text(f"{name} 共享单车停放点", "Shared-bike parking spots"),
        "operator": _text(name),
        "opening_hours": "24/7",
        "feed_contact_email": settings.DEFAULT_FROM_EMAIL,
        "timezone": "Asia/Shanghai",
    }
    phone = e164(bureau.phone if bureau else "")
    if phone:
        data["phone_number"] = phone
    return _envelope(data)


def e164(phone: str) -> str:
    """A Chinese landline/mobile as E.164 (+86…), or "" when it is a short number like 12319."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < 10:
        return ""
    return "+86" + digits.removeprefix("0")


def vehicle_types() -> dict[str, Any]:
    items = []
    for vt in VEHICLE_TYPES:
        item = {k: v for k, v in vt.items() if k != "name"}
        item["name"] = _text(str(vt["name"]))
        items.append(item)
    return _envelope({"vehicle_types": items})


def _spots(at: datetime) -> list[SpotSnapshot]:
    key = f"spots:{spots_version_stamp()}:{int(at.timestamp()) // TTL}"
    hit = _cache.get("spots")
    if hit and hit[0] == key:  # type: ignore[comparison-overlap]
        return hit[1]  # type: ignore[no-any-return]
    spots = spots_in_force(at=at)
    _cache["spots"] = (key, spots)  # type: ignore[assignment]
    return spots


def station_information() -> dict[str, Any]:
    spots = _spots(timezone.now())
    stations = [
        {
            "station_id": s.spot_code,
            "name": _text(s.name),
            "lat": round(s.center_lat, 6),
            "lon": round(s.center_lng, 6),
            "is_virtual_station": True,
            "station_area": _multipolygon(s.polygon),
            "parking_type": PARKING_TYPE.get(s.category, "other"),  # type: ignore[call-overload]
            "capacity": s.capacity,
            "vehicle_types_capacity": [
                {
                    "vehicle_type_ids": [v["vehicle_type_id"] for v in VEHICLE_TYPES],
                    "count": s.capacity,
                }
            ],
        }
        for s in spots
    ]
    return _envelope({"stations": stations})


def station_counts(spots: list[SpotSnapshot]) -> dict[str, dict[str, int]]:
    """Available bikes inside each spot, per vehicle type (vectorised point-in-polygon)."""
    rows = list(
        Bike.objects.filter(vehicle_state="available", lat__isnull=False).values_list(
            "lng", "lat", "propulsion_types"
        )
    )
    counts: dict[str, dict[str, int]] = {s.spot_code: {} for s in spots}
    if not rows or not spots:
        return counts
    tree = shapely.STRtree([shape(s.polygon) for s in spots])
    points = shapely.points(np.array([(r[0], r[1]) for r in rows]))
    point_idx, spot_idx = tree.query(points, predicate="within")
    for p, s in zip(point_idx.tolist(), spot_idx.tolist(), strict=True):
        kind = "bicycle-electric_assist" if "electric_assist" in rows[p][2] else "bicycle-human"
        bucket = counts[spots[s].spot_code]
        bucket[kind] = bucket.get(kind, 0) + 1
    return counts


def station_status() -> dict[str, Any]:
    now = timezone.now()
    hit = _cache.get("status")
    if hit and time.monotonic() - hit[0] < 30:
        return hit[1]  # type: ignore[no-any-return]
    spots = _spots(now)
    counts = station_counts(spots)
    reported = int(now.timestamp())
    last = datetime.fromtimestamp(reported, tz=UTC).isoformat().replace("+00:00", "Z")
    stations = []
    for s in spots:
        by_type = counts.get(s.spot_code, {})
        n = sum(by_type.values())
        stations.append(
            {
                "station_id": s.spot_code,
                "num_vehicles_available": n,
                "vehicle_types_available": [
                    {
                        "vehicle_type_id": v["vehicle_type_id"],
                        "count": by_type.get(v["vehicle_type_id"], 0),
                    }
                    for v in VEHICLE_TYPES
                ],
                "is_installed": True,
                "is_renting": True,
                "is_returning": n < s.capacity,
                "last_reported": last,
            }
        )
    body = _envelope({"stations": stations}, now)
    _cache["status"] = (time.monotonic(), body)
    return body


def geofencing_zones() -> dict[str, Any]:
    bureau = Bureau.objects.exclude(boundary=None).first()
    features = []
    if bureau is not None:
        geom = shape(bureau.boundary)
        polys = list(getattr(geom, "geoms", [geom]))
        coords = [
            [
                [[round(x, 6), round(y, 6)] for x, y in ring]
                for ring in mapping(orient(p, 1.0))["coordinates"]
            ]
            for p in polys
        ]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "MultiPolygon", "coordinates": coords},
                "properties": {
                    "name": _text(f"{bureau.name} 入栏停放区", "Park-in-spot zone"),
                    "rules": [
                        {
                            "ride_start_allowed": True,
                            "ride_end_allowed": True,
                            "ride_through_allowed": True,
                            "station_parking": True,
                        }
                    ],
                },
            }
        )
    return _envelope(
        {
            "geofencing_zones": {"type": "FeatureCollection", "features": features},
            "global_rules": [
                {
                    "ride_start_allowed": False,
                    "ride_end_allowed": False,
                    "ride_through_allowed": True,
                }
            ],
        }
    )


BUILDERS = {
    "system_information": system_information,
    "vehicle_types": vehicle_types,
    "station_information": station_information,
    "station_status": station_status,
    "geofencing_zones": geofencing_zones,
}
