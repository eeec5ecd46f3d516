"""Reads for bikes and spots. Other apps (compliance, notices, opcredit) call these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from nuanxin.bikes.models import Bike, Operator, SpotVersion, UnregisteredSighting

if TYPE_CHECKING:
    from nuanxin.opcredit.models import Assessment


@dataclass(frozen=True)
class SpotSnapshot:
    """A spot as it was in force at some moment (one SpotVersion)."""

    spot_id: int
    spot_code: str
    version_id: int  # SpotVersion.pk: record it with every decision, for replay
    version: int
    name: str
    polygon: dict  # GeoJSON Polygon, WGS-84, [lng, lat]
    capacity: int
    category: str
    beacon_ids: tuple[str, ...]
    center_lat: float
    center_lng: float
    effective_from: datetime
    effective_to: datetime | None


def _in_force_q(at: datetime) -> Q:
    return Q(effective_from__lte=at) & (Q(effective_to__isnull=True) | Q(effective_to__gt=at))


def spot_versions_in_force(*, at: datetime) -> QuerySet[SpotVersion]:
    """Versions in force at `at`, whatever their status (suspended spots included)."""
    return SpotVersion.objects.filter(_in_force_q(at))


def spots_in_force(*, at: datetime) -> list[SpotSnapshot]:
    """Active spots whose version is in force at `at` (a suspended or retired spot is no spot)."""
    rows = (
        spot_versions_in_force(at=at)
        .filter(status=SpotVersion.Status.ACTIVE)
        .order_by("spot_id")
        .values_list(
            "spot_id",
            "spot__code",
            "pk",
            "version",
            "name",
            "polygon",
            "capacity",
            "category",
            "beacon_ids",
            "center_lat",
            "center_lng",
            "effective_from",
            "effective_to",
        )
    )
    return [
        SpotSnapshot(
            spot_id=r[0],
            spot_code=r[1],
            version_id=r[2],
            version=r[3],
            name=r[4],
            polygon=r[5],
            capacity=r[6],
            category=r[7],
            beacon_ids=tuple(r[8] or ()),
            center_lat=r[9],
            center_lng=r[10],
            effective_from=r[11],
            effective_to=r[12],
        )
        for r in rows
    ]


def spot_version_by_id(*, version_id: int) -> SpotSnapshot | None:
    """One version by id, for replaying a past decision."""
    v = SpotVersion.objects.select_related("spot").filter(pk=version_id).first()
    if v is None:
        return None
    return SpotSnapshot(
        spot_id=v.spot_id,
        spot_code=v.spot.code,
        version_id=v.pk,
        version=v.version,
        name=v.name,
        polygon=v.polygon,
        capacity=v.capacity,
        category=v.category,
        beacon_ids=tuple(v.beacon_ids or ()),
        center_lat=v.center_lat,
        center_lng=v.center_lng,
        effective_from=v.effective_from,
        effective_to=v.effective_to,
    )


def spots_version_stamp() -> int:
    """Changes whenever any spot changes (a new version, or a version closed).

    Every change writes a new SpotVersion row (closing the old one in the same transaction), so
    the highest id changes. The microseconds of the newest row's creation time are folded in so
    that a reused id (SQLite after a rolled-back transaction, as in tests) still gives a new
    stamp. A spatial index keyed on (stamp, in-force window) reloads when it changes or when `at`
    passes `spots_next_change_after(at=…)`.
    """
    row = SpotVersion.objects.order_by("-pk").values_list("pk", "created_at").first()
    if row is None:
        return 0
    pk, created = row
    return int(pk) * 1_000_000 + created.microsecond


def spots_next_change_after(*, at: datetime) -> datetime | None:
    """The next moment after `at` at which the set of spots in force changes (dated edits)."""
    nxt_from = (
        SpotVersion.objects.filter(effective_from__gt=at)
        .order_by("effective_from")
        .values_list("effective_from", flat=True)
        .first()
    )
    nxt_to = (
        SpotVersion.objects.filter(effective_to__gt=at)
        .order_by("effective_to")
        .values_list("effective_to", flat=True)
        .first()
    )
    candidates = [t for t in (nxt_from, nxt_to) if t is not None]
    return min(candidates) if candidates else None


def bike_by_plate(*, plate: str) -> Bike | None:
    return Bike.objects.select_related("operator").filter(plate=plate).first()


def decommissioned_q() -> Q:
    """Bikes decommissioned for good: latest state `removed` by a `decommissioned` event
    (MDS has no deregistration; this event is it). They no longer count against the quota
    but keep their row and plate: 一车一牌 history (decisions, notices, penalties) names them.
    A later event that puts one back on the street makes it count again."""
    # The event types are a JSON list; "decommissioned" is the only MDS type containing it.
    return Q(vehicle_state="removed", last_event_types__icontains="decommissioned")


def fleet_counted_for_quota(*, operator: Operator) -> int:
    """The operator's bikes that count against its quota: every registered bike not
    decommissioned (`decommissioned_q`). Registration (`bikes_register`) and the fleet
    statistics' `quota_left` both use it."""
    return Bike.objects.filter(operator=operator).exclude(decommissioned_q()).count()


def operator_fleet_stats(*, operator: Operator) -> dict:
    by_state = dict(
        Bike.objects.filter(operator=operator)
        .values_list("vehicle_state")
        .annotate(n=Count("pk"))
        .values_list("vehicle_state", "n")
    )
    total = sum(by_state.values())
    decommissioned = Bike.objects.filter(decommissioned_q(), operator=operator).count()
    unregistered = UnregisteredSighting.objects.filter(operator=operator).aggregate(
        devices=Count("pk"), rejected=Sum("count")
    )
    return {
        "operator": operator.code,
        "name": operator.name,
        "quota": operator.quota,
        "registered": total,
        "decommissioned": decommissioned,
        "quota_left": max(0, operator.quota - (total - decommissioned)),
        "by_state": {k or "unknown": v for k, v in by_state.items()},
        "unregistered_devices": unregistered["devices"] or 0,
        "unregistered_rejections": operator.unregistered_event_count,
        "workers_on_duty": operator.workers.filter(on_duty=True).count(),
        "workers": operator.workers.count(),
    }


def unregistered_devices_count(
    *, operator: Operator, since: datetime | None = None, until: datetime | None = None
) -> int:
    """Distinct unregistered device_ids an operator reported in a period (for credit scoring)."""
    qs = UnregisteredSighting.objects.filter(operator=operator)
    if since is not None:
        qs = qs.filter(last_seen_at__gte=since)
    if until is not None:
        qs = qs.filter(first_seen_at__lt=until)
    return qs.count()


# MDS states of a bike on the street in the city (those a fleet cap counts); not removed
# (registered, withdrawn or decommissioned), missing, non-contactable or elsewhere.
IN_SERVICE_STATES = ("available", "non_operational", "reserved", "on_trip")


@dataclass(frozen=True)
class OperatorOverview:
    """One operator's row on the staff overview (/staff/bikes/)."""

    operator: Operator
    registered: int
    in_service: int
    open_notices: int
    fixed_recent: int  # notices fixed within the window (by closing time)
    penalised_recent: int  # notices penalised within the window (by closing time)
    latest_assessment: Assessment | None

    @property
    def rectification_rate(self) -> float | None:
        """Fixed ÷ (fixed + penalised) over the window; None when neither happened."""
        decided = self.fixed_recent + self.penalised_recent
        return self.fixed_recent / decided if decided else None

    @property
    def rectification_percent(self) -> float | None:
        rate = self.rectification_rate
        return None if rate is None else rate * 100


def operators_overview(*, now: datetime | None = None, days: int = 30) -> list[OperatorOverview]:
    """Every operator (code order) with its fleet, notices and latest assessment.

    Open notices are those open now; fixed and penalised count the notices closed in the
    `days` up to `now`. The latest assessment is the one whose period ends last. Four
    queries whatever the number of operators: operators (with the id of their latest
    assessment), bikes grouped by operator, notices grouped by operator, the assessments.
    """
    # notices and opcredit build on bikes: imported here so that bikes never loads them first.
    from nuanxin.notices.models import Notice
    from nuanxin.opcredit.models import Assessment

    now = now or timezone.now()
    since = now - timedelta(days=days)
    latest = (
        Assessment.objects.filter(operator=OuterRef("pk"))
        .order_by("-period_end", "-period_start", "-pk")
        .values("pk")[:1]
    )
    operators = list(
        Operator.objects.annotate(latest_assessment_id=Subquery(latest)).order_by("code")
    )
    fleets: dict[int, tuple[int, int]] = {
        operator_id: (registered, in_service)
        for operator_id, registered, in_service in Bike.objects.order_by()
        .values("operator_id")
        .annotate(
            registered=Count("pk"),
            in_service=Count("pk", filter=Q(vehicle_state__in=IN_SERVICE_STATES)),
        )
        .values_list("operator_id", "registered", "in_service")
    }
    status = Notice.Status
    closed_recently = Q(closed_at__gte=since, closed_at__lte=now)
    notices: dict[int, tuple[int, int, int]] = {
        operator_id: (open_n, fixed, penalised)
        for operator_id, open_n, fixed, penalised in Notice.objects.filter(
            Q(status=status.OPEN)
            | (Q(status__in=[status.FIXED, status.PENALISED]) & closed_recently)
        )
        .order_by()
        .values("operator_id")
        .annotate(
            open_n=Count("pk", filter=Q(status=status.OPEN)),
            fixed=Count("pk", filter=Q(status=status.FIXED) & closed_recently),
            penalised=Count("pk", filter=Q(status=status.PENALISED) & closed_recently),
        )
        .values_list("operator_id", "open_n", "fixed", "penalised")
    }
    assessments = Assessment.objects.in_bulk(
        [op.latest_assessment_id for op in operators if op.latest_assessment_id is not None]
    )
    rows = []
    for op in operators:
        registered, in_service = fleets.get(op.pk, (0, 0))
        open_n, fixed, penalised = notices.get(op.pk, (0, 0, 0))
        rows.append(
            OperatorOverview(
                operator=op,
                registered=registered,
                in_service=in_service,
                open_notices=open_n,
                fixed_recent=fixed,
                penalised_recent=penalised,
                latest_assessment=assessments.get(op.latest_assessment_id),
            )
        )
    return rows
