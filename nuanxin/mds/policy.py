"""MDS Policy and Geography documents built from the versioned spots.

Each SpotVersion is one `stop` geography (its geography_id; prev_geographies = the previous
version). The bureau boundary is one `municipal_boundary` geography. The "park only in spots"
policy is two time rules, evaluated in order as MDS prescribes: parking after trip_end inside a
stop is allowed (no maximum); anywhere else in the city the maximum is 0 minutes. With no stop
in force the policy says so: the city rule alone (MDS wants at least one rule, and at least
one geography in each), so that a retired network is never still advertised.

A new policy is published when the stops in force change: after a spot change commits
(`bikes.services_spots`), and when a version dated in the future takes effect or ends (the
job `bikes.policy_refresh`, `policy_refresh_due`). Published policies are never edited: the
previous one gets an end_date, the new one lists it in prev_policies.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from nuanxin.audit.services import audit_record
from nuanxin.bikes.models import Operator, SpotVersion
from nuanxin.bikes.selectors import spot_versions_in_force, spots_next_change_after
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


def _in_spot_rule_id(policy_id: uuid.UUID) -> str:
    return str(uuid.uuid5(policy_id, "in-spot"))


def policy_stops(policy: Policy) -> list[str]:
    """The stop geographies a published policy allows parking in ([] when none)."""
    rule_id = _in_spot_rule_id(policy.policy_id)
    for rule in policy.document.get("rules", []):
        if rule.get("rule_id") == rule_id:
            return list(rule.get("geographies") or [])
    return []


NO_STOP_NOTE = "目前没有启用的停放点：本市范围内任何地点都不得停放。"


def _policy_document(
    *, policy_id: uuid.UUID, at: datetime, stops: list[str], city: uuid.UUID, prev: list[str]
) -> dict[str, Any]:
    provider_ids = [str(p) for p in Operator.objects.values_list("provider_id", flat=True)]
    in_spot = [
        {
            "rule_id": _in_spot_rule_id(policy_id),
            "name": "停放点内允许停放 / parking allowed inside spots",
            "rule_type": "time",
            "rule_units": "minutes",
            "geographies": stops,
            "states": {"available": ["trip_end"]},
            "vehicle_types": ["bicycle"],
        }
    ]
    rules = [
        # A rule needs at least one geography (MDS): with no stop, none that allows parking.
        *(in_spot if stops else []),
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
        "运营企业收到暖心提醒后须在规定时限内整改。" + ("" if stops else NO_STOP_NOTE),
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
def policy_publish(
    *, by: Any = None, force: bool = False, now: datetime | None = None
) -> Policy | None:
    """Publish a new "park only in spots" policy if the spots in force changed (or `force`).

    Published policies are never edited: the old one gets an end_date (a new row), superseded
    through prev_policies. Returns the new policy, or None when nothing changed. With no
    stop in force the new policy has the city rule alone. `now`: the job's clock.
    """
    bureau = Bureau.objects.exclude(boundary=None).first()
    if bureau is None:
        return None
    now = now or timezone.now()
    stops = _stop_ids_in_force(now)
    current = (
        Policy.objects.select_for_update()
        .filter(end_date__isnull=True)
        .order_by("-published_date")
        .first()
    )
    if current is not None and not force and policy_stops(current) == stops:
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


# Per process (each worker keeps its own): for the current policy, the moment up to which
# the stops in force were found as it lists them, so that a change point that changed no
# stop (a suspended spot's new version) is compared once, not on every run.
_unchanged_through: dict[uuid.UUID, datetime] = {}


def policy_refresh_due(*, now: datetime | None = None) -> Policy | None:
    """Publish a new policy if a spot version took effect or ended since the current policy
    was published (dated edits: nothing commits at that moment, so no edit publishes it).

    Cheap when nothing changed: the current policy's start, then the next change point after
    it (two indexed reads, `spots_next_change_after`); only when one has passed are the
    stops in force compared (`policy_publish`). A version that commits with a time before the
    job's last look publishes itself on commit (`bikes.services_spots`)."""
    now = now or timezone.now()
    current = (
        Policy.objects.filter(end_date__isnull=True)
        .order_by("-published_date")
        .values_list("policy_id", "start_date")
        .first()
    )
    if current is None:
        return policy_publish(now=now) if SpotVersion.objects.exists() else None
    policy_id, start = current
    since = max(start, _unchanged_through.get(policy_id, start))
    due = spots_next_change_after(at=since)
    if due is None or due > now:
        return None
    published = policy_publish(now=now)
    _unchanged_through.clear()
    if published is None:
        _unchanged_through[policy_id] = now
    return published


def policy_json(policy: Policy) -> dict[str, Any]:
    doc = dict(policy.document)
    if policy.end_date is not None:
        doc["end_date"] = ms(policy.end_date)
    return doc
