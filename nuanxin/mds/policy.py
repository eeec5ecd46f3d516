"""MDS Policy and Geography documents built from the versioned spots.

Each SpotVersion is one `stop` geography (its geography_id; prev_geographies = the previous
version). The bureau boundary is one `municipal_boundary` geography. The "park only in spots"
policy is two time rules, evaluated in order as MDS prescribes: parking after trip_end inside a
stop is allowed (no maximum); anywhere else in the city the maximum is 0 minutes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from nuanxin.audit.services import audit_record
from nuanxin.bikes.models import Operator, SpotVersion
from nuanxin.bikes.selectors import spot_versions_in_force
from nuanxin.mds.models import Policy
from nuanxin.orgs.models import Bureau

NAMESPACE = uuid.UUID("6f1d7c55-3b8a-4c59-9d0c-3f0b8f6a2e11")


def ms(t: datetime | None) -> int | None:
    return None if t is None else int(t.timestamp() * 1000)


def city_geography_id(bureau: Bureau) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"municipal_boundary:{bureau.code}")


def city_geography(bureau: Bureau) -> dict[str, Any]:
    return {
        "name": f"{bureau.name} 管辖范围",
        "description": "城市边界 / municipal boundary",
        "geography_type": "municipal_boundary",
        "geography_id": str(city_geography_id(bureau)),
        "geography_json": {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {}, "geometry": bureau.boundary}],
        },
        "published_date": ms(timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)),
    }


def stop_geography(v: SpotVersion, prev: uuid.UUID | None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": f"{v.name}（{v.spot.code} 第{v.version}版）",
        "description": f"{v.get_category_display()} 停放点，容量 {v.capacity} 辆，状态 {v.status}",
        "geography_type": "stop",
        "geography_id": str(v.geography_id),
        "geography_json": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {
                        "spot_code": v.spot.code,
                        "version": v.version,
                        "capacity": v.capacity,
                        "category": v.category,
                        "status": v.status,
                    },
                    "geometry": v.polygon,
                }
            ],
        },
        "effective_date": ms(v.effective_from),
        "published_date": ms(v.created_at),
    }
    if v.effective_to is not None:
        doc["retire_date"] = ms(v.effective_to)
    if prev is not None:
        doc["prev_geographies"] = [str(prev)]
    return doc


def geographies_all() -> list[dict[str, Any]]:
    """Every geography ever published (retired ones stay listed, as MDS requires)."""
    out = []
    bureau = Bureau.objects.exclude(boundary=None).first()
    if bureau is not None:
        out.append(city_geography(bureau))
    prev: dict[int, uuid.UUID] = {}
    for v in SpotVersion.objects.select_related("spot").order_by("spot_id", "version"):
        out.append(stop_geography(v, prev.get(v.spot_id)))
        prev[v.spot_id] = v.geography_id
    return out


def geography_one(geography_id: uuid.UUID) -> dict[str, Any] | None:
    bureau = Bureau.objects.exclude(boundary=None).first()
    if bureau is not None and city_geography_id(bureau) == geography_id:
        return city_geography(bureau)
    v = SpotVersion.objects.select_related("spot").filter(geography_id=geography_id).first()
    if v is None:
        return None
    before = (
        SpotVersion.objects.filter(spot_id=v.spot_id, version=v.version - 1)
        .values_list("geography_id", flat=True)
        .first()
    )
    return stop_geography(v, before)


def _stop_ids_in_force(at: datetime) -> list[str]:
    return [
        str(g)
        for g in spot_versions_in_force(at=at)
        .filter(status=SpotVersion.Status.ACTIVE)
        .order_by("spot_id")
        .values_list("geography_id", flat=True)
    ]


def _policy_document(
    *, policy_id: uuid.UUID, at: datetime, stops: list[str], city: uuid.UUID, prev: list[str]
) -> dict[str, Any]:
    provider_ids = [str(p) for p in Operator.objects.values_list("provider_id", flat=True)]
    rules = [
        {
            "rule_id": str(uuid.uuid5(policy_id, "in-spot")),
            "name": "停放点内允许停放 / parking allowed inside spots",
            "rule_type": "time",
            "rule_units": "minutes",
            "geographies": stops,
            "states": {"available": ["trip_end"]},
            "vehicle_types": ["bicycle"],
        },
        {
            "rule_id": str(uuid.uuid5(policy_id, "elsewhere")),
            "name": "停放点外禁止停放 / no parking outside spots",
            "rule_type": "time",
            "rule_units": "minutes",
            "geographies": [str(city)],
            "states": {"available": ["trip_end"]},
            "vehicle_types": ["bicycle"],
            "maximum": 0,
        },
    ]
    doc: dict[str, Any] = {
        "name": "共享单车入栏停放 / park only in spots",
        "mode_id": "micromobility",
        "policy_id": str(policy_id),
        "description": "共享单车只能在停放点内停放；停放点外结束行程即违规停放，"
        "运营企业收到暖心提醒后须在规定时限内整改。",
        "start_date": ms(at),
        "published_date": ms(at),
        "rules": rules,
    }
    if provider_ids:
        doc["provider_ids"] = provider_ids
    if prev:
        doc["prev_policies"] = prev
    return doc


def policy_current() -> Policy | None:
    return Policy.objects.filter(end_date__isnull=True).order_by("-published_date").first()


@transaction.atomic
def policy_publish(*, by: Any = None, force: bool = False) -> Policy | None:
    """Publish a new "park only in spots" policy if the spots in force changed (or `force`).

    Published policies are never edited: the old one gets an end_date (a new row), superseded
    through prev_policies. Returns the new policy, or None when nothing changed.
    """
    bureau = Bureau.objects.exclude(boundary=None).first()
    if bureau is None:
        return None
    now = timezone.now()
    stops = _stop_ids_in_force(now)
    if not stops:
        return None
    current = Policy.objects.select_for_update().filter(end_date__isnull=True).first()
    if current is not None and not force and current.document["rules"][0]["geographies"] == stops:
        return None
    policy_id = uuid.uuid4()
    prev = [str(current.policy_id)] if current is not None else []
    doc = _policy_document(
        policy_id=policy_id, at=now, stops=stops, city=city_geography_id(bureau), prev=prev
    )
    if current is not None:
        # end_date is the one field MDS lets a superseded policy gain; the document stays.
        Policy.objects.filter(pk=current.pk).update(end_date=now)
    policy = Policy.objects.create(
        policy_id=policy_id,
        name=doc["name"],
        description=doc["description"],
        start_date=now,
        published_date=now,
        prev_policies=prev,
        document=doc,
        published_by=by if getattr(by, "pk", None) else None,
    )
    audit_record(
        actor=by if getattr(by, "pk", None) else None,
        actor_label="" if getattr(by, "pk", None) else "system:mds",
        action="mds_policy.publish",
        obj=policy,
        after={"policy_id": str(policy_id), "stops": len(stops), "prev_policies": prev},
    )
    return policy


def policy_json(policy: Policy) -> dict[str, Any]:
    doc = dict(policy.document)
    if policy.end_date is not None:
        doc["end_date"] = ms(policy.end_date)
    return doc
