"""Writes for operators, bikes and maintenance crews. Spots live in services_spots.py."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record
from nuanxin.bikes.models import (
    Bike,
    MaintenanceWorker,
    Operator,
    UnregisteredReport,
    UnregisteredSighting,
)
from nuanxin.bikes.policy import bike_policy, plate_rule_text
from nuanxin.bikes.selectors import fleet_counted_for_quota
from nuanxin.core.errors import DomainError
from nuanxin.lib.plates import PlateError, plate_validate


@dataclass(frozen=True)
class VehicleIn:
    """One bike as an operator registers or updates it (already type-checked)."""

    device_id: uuid.UUID
    plate: str
    vehicle_type: str
    propulsion_types: tuple[str, ...]
    battery_capacity: int | None = None
    maximum_speed: int | None = None


@dataclass
class ItemFailure:
    index: int
    error: str  # MDS error: bad_param, missing_param, already_registered, unregistered
    description: str
    details: list[str] = field(default_factory=list)


def operator_plate_letter(operator: Operator) -> str:
    return operator.plate_letter or bike_policy().operator_letters.get(operator.code, "")


def plate_check(*, plate: str, operator: Operator) -> str:
    """The normalised plate, or DomainError naming the format (data-defined)."""
    policy = bike_policy()
    try:
        return plate_validate(
            plate, pattern=policy.plate_pattern, operator_letter=operator_plate_letter(operator)
        )
    except PlateError as exc:
        if exc.code == "operator_letter":
            raise DomainError(
                "plate_operator",
                _("车牌 %(plate)s 的企业字母与本企业（%(letter)s）不符。")
                % {"plate": plate, "letter": operator_plate_letter(operator)},
            ) from exc
        raise DomainError(
            "plate_format",
            _("车牌 %(plate)s 格式不正确：%(rule)s") % {"plate": plate, "rule": plate_rule_text()},
        ) from exc


def _plate_taken(index: int, plate: str) -> ItemFailure:
    """The failure of a plate used by another bike: the same on POST and PUT."""
    return ItemFailure(
        index,
        "already_registered",
        _("车牌 %(plate)s 已被其他车辆使用（一车一牌，全市唯一）。") % {"plate": plate},
        ["vehicle_id"],
    )


def bikes_register(
    *, operator: Operator, vehicles: list[tuple[int, VehicleIn]], actor_label: str
) -> tuple[list[Bike], list[ItemFailure]]:
    """Register new bikes for an operator; refuses duplicates and anything beyond the quota.

    The quota counts the operator's bikes not decommissioned (`fleet_counted_for_quota`); a
    decommissioned bike keeps its plate (一车一牌: its notices and decisions name it), so a
    plate is never registered twice. Each (index, vehicle) is accepted or gets an
    ItemFailure; accepted ones are written in one transaction with one audit row.
    """
    failures: list[ItemFailure] = []
    with transaction.atomic():
        op = Operator.objects.select_for_update().get(pk=operator.pk)
        if not op.can_deploy():
            return [], [
                ItemFailure(
                    i,
                    "bad_param",
                    _("运营企业状态为“%(status)s”，不得登记新车辆。")
                    % {"status": op.get_status_display()},
                    ["provider_id: operator not active"],
                )
                for i, _v in vehicles
            ]
        device_ids = [v.device_id for _i, v in vehicles]
        plates = [v.plate for _i, v in vehicles]
        taken_devices = set(
            Bike.objects.filter(device_id__in=device_ids).values_list("device_id", flat=True)
        )
        taken_plates = set(Bike.objects.filter(plate__in=plates).values_list("plate", flat=True))
        fleet = fleet_counted_for_quota(operator=op)
        now = timezone.now()
        new: list[Bike] = []
        seen_devices: set[uuid.UUID] = set()
        seen_plates: set[str] = set()
        for index, v in vehicles:
            if v.device_id in taken_devices or v.device_id in seen_devices:
                failures.append(
                    ItemFailure(
                        index,
                        "already_registered",
                        _("该 device_id 的车辆已登记。"),
                        ["device_id"],
                    )
                )
                continue
            if v.plate in taken_plates or v.plate in seen_plates:
                failures.append(_plate_taken(index, v.plate))
                continue
            if fleet + len(new) >= op.quota:
                failures.append(
                    ItemFailure(
                        index,
                        "bad_param",
                        _(
                            "超出投放配额：本企业配额 %(quota)d 辆，计入配额的车辆 %(fleet)d 辆"
                            "（已报废的车辆不计）。"
                        )
                        % {"quota": op.quota, "fleet": fleet + len(new)},
                        ["quota_exceeded"],
                    )
                )
                continue
            seen_devices.add(v.device_id)
            seen_plates.add(v.plate)
            new.append(
                Bike(
                    operator=op,
                    plate=v.plate,
                    device_id=v.device_id,
                    vehicle_type=v.vehicle_type,
                    propulsion_types=list(v.propulsion_types),
                    battery_capacity=v.battery_capacity,
                    maximum_speed=v.maximum_speed,
                    registered_at=now,
                    updated_at=now,
                    vehicle_state="removed",
                )
            )
        if new:
            Bike.objects.bulk_create(new, batch_size=500)
            audit_record(
                actor=None,
                actor_label=actor_label,
                action="bike.register",
                obj=op,
                after={"count": len(new), "plates": [b.plate for b in new[:50]]},
            )
    return new, failures


def bikes_update(
    *, operator: Operator, vehicles: list[tuple[int, VehicleIn]], actor_label: str
) -> tuple[int, list[ItemFailure]]:
    """Change registered bikes (plate, type, propulsion). Only the operator's own bikes.

    Plates are judged against the batch's final state: a plate another item of the batch
    frees (two bikes swapping plates, a chain of moves) is available, provided that item
    is accepted; a plate that stays with another bike fails as `already_registered`, as on
    POST. Two items asking for the same free plate: the first one gets it."""
    failures: list[ItemFailure] = []
    with transaction.atomic():
        bikes = {
            b.device_id: b
            for b in Bike.objects.select_for_update()
            .filter(operator=operator, device_id__in=[v.device_id for _i, v in vehicles])
            .order_by("pk")
        }
        items: list[tuple[int, VehicleIn, Bike]] = []
        seen: set[uuid.UUID] = set()
        for index, v in vehicles:
            bike = bikes.get(v.device_id)
            if bike is None:  # unknown, or another operator's bike
                failures.append(
                    ItemFailure(index, "unregistered", _("该 device_id 未登记。"), ["device_id"])
                )
            elif v.device_id in seen:
                failures.append(
                    ItemFailure(
                        index,
                        "bad_param",
                        _("同一 device_id 在本批中出现多次，每辆车只能更新一次。"),
                        ["device_id"],
                    )
                )
            else:
                seen.add(v.device_id)
                items.append((index, v, bike))
        in_batch = {bike.pk for _i, _v, bike in items}
        held_elsewhere = set(
            Bike.objects.filter(plate__in=[v.plate for _i, v, _b in items])
            .exclude(pk__in=in_batch)
            .values_list("plate", flat=True)
        )
        wanted = {index: v.plate for index, v, _b in items}
        accepted = set(wanted)
        while True:  # an item refused keeps its bike's plate, which may refuse another
            kept = {bike.plate for index, _v, bike in items if index not in accepted}
            taken: set[str] = set()
            refused = []
            for index, v, _bike in items:
                if index not in accepted:
                    continue
                if v.plate in held_elsewhere or v.plate in kept or v.plate in taken:
                    refused.append(index)
                else:
                    taken.add(v.plate)
            if not refused:
                break
            for index in refused:
                accepted.discard(index)
                failures.append(_plate_taken(index, wanted[index]))
        changes = [(v, bike) for index, v, bike in items if index in accepted]
        moving = [(v, bike) for v, bike in changes if v.plate != bike.plate]
        current_plates = {bike.plate for _v, bike in changes}
        if any(v.plate in current_plates for v, _bike in moving):
            # Plates change hands inside the batch: free them all first (the unique index
            # is checked row by row), then write the final plates.
            for _v, bike in moving:
                Bike.objects.filter(pk=bike.pk).update(plate=f"~{bike.pk}")
        now = timezone.now()
        log = []
        for v, bike in changes:
            before = {"plate": bike.plate, "vehicle_type": bike.vehicle_type}
            bike.plate = v.plate
            bike.vehicle_type = v.vehicle_type
            bike.propulsion_types = list(v.propulsion_types)
            bike.battery_capacity = v.battery_capacity
            bike.maximum_speed = v.maximum_speed
            bike.updated_at = now
            bike.save(
                update_fields=[
                    "plate",
                    "vehicle_type",
                    "propulsion_types",
                    "battery_capacity",
                    "maximum_speed",
                    "updated_at",
                ]
            )
            log.append({"device_id": str(bike.device_id), "before": before, "plate": v.plate})
        if log:
            audit_record(
                actor=None,
                actor_label=actor_label,
                action="bike.update",
                obj=operator,
                after={"count": len(log), "changes": log[:50]},
            )
    return len(log), failures


# Ids of refused items are kept this long: long enough for any retry of a batch.
UNREGISTERED_REPORT_KEEP_DAYS = 30


def _as_uuid(value: uuid.UUID | str) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def _reports_new(
    *, operator: Operator, device_id: uuid.UUID, ids: Collection[uuid.UUID | str], now: datetime
) -> int:
    """Store the ids of one device's refused items; how many were not stored before.
    INSERT … ON CONFLICT DO NOTHING on (operator, source_id): exact under concurrent retries
    too (PostgreSQL makes the second insert of an id wait for the first to commit)."""
    from nuanxin.mds.fastdb import bulk_insert

    rows = [(operator.pk, source, device_id, now) for source in {_as_uuid(i) for i in ids}]
    return bulk_insert(
        UnregisteredReport, ["operator", "source_id", "device_id", "received_at"], rows
    )


def unregistered_record(
    *,
    operator: Operator,
    device_ids: Mapping[uuid.UUID, int | Collection[uuid.UUID | str]]
    | Mapping[str, int | Collection[uuid.UUID | str]],
) -> None:
    """Count data sent for bikes the operator never registered (read by operator credit).

    `device_ids` maps each device_id (a UUID or its text) to the ids of its refused items
    (event_id, telemetry_id, trip_id): each id counts once, however often the item is sent
    again (MDS ingest is idempotent on those ids). A number instead of ids is counted as
    it is (callers that do not pass the ids). Runs in the caller's transaction; an empty
    mapping (the common batch) costs nothing.
    """
    if not device_ids:
        return
    now = timezone.now()
    counts: dict[uuid.UUID, int] = {}
    for device, items in device_ids.items():
        d = _as_uuid(device)
        n = (
            items
            if isinstance(items, int)
            else _reports_new(operator=operator, device_id=d, ids=items, now=now)
        )
        if n:
            counts[d] = counts.get(d, 0) + n
    if not counts:
        return  # a retry: every item was counted before
    Operator.objects.filter(pk=operator.pk).update(
        unregistered_event_count=F("unregistered_event_count") + sum(counts.values())
    )
    known = set(
        UnregisteredSighting.objects.filter(
            operator=operator, device_id__in=list(counts)
        ).values_list("device_id", flat=True)
    )
    for device_id in known:
        UnregisteredSighting.objects.filter(operator=operator, device_id=device_id).update(
            count=F("count") + counts[device_id], last_seen_at=now
        )
    UnregisteredSighting.objects.bulk_create(
        [
            UnregisteredSighting(
                operator=operator, device_id=d, first_seen_at=now, last_seen_at=now, count=n
            )
            for d, n in counts.items()
            if d not in known
        ],
        ignore_conflicts=True,
    )


def unregistered_reports_prune(*, now: datetime, limit: int = 5000) -> int:
    """Forget refused items' ids older than UNREGISTERED_REPORT_KEEP_DAYS (at most `limit`
    per call; the counts they made stay). Returns the rows deleted."""
    cutoff = now - timedelta(days=UNREGISTERED_REPORT_KEEP_DAYS)
    ids = list(
        UnregisteredReport.objects.filter(received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    return UnregisteredReport.objects.filter(pk__in=ids).delete()[0]


@transaction.atomic
def operator_quota_set(*, operator: Operator, quota: int, by: Any, reason: str) -> Operator:
    """Set the fleet quota (after an assessment or a 运演 simulation)."""
    if quota < 0:
        raise DomainError("bad_quota", _("配额不能为负数。"))
    before = operator.quota
    operator.quota = quota
    operator.save(update_fields=["quota"])
    audit_record(
        actor=by,
        action="operator.quota_set",
        obj=operator,
        before={"quota": before},
        after={"quota": quota, "reason": reason},
    )
    return operator


@transaction.atomic
def maintenance_worker_create(
    *, user: Any, operator: Operator, name: str, phone: str = "", by: Any = None
) -> MaintenanceWorker:
    if MaintenanceWorker.objects.filter(user=user).exists():
        raise DomainError("worker_exists", _("该账号已是运维人员。"))
    worker = MaintenanceWorker.objects.create(user=user, operator=operator, name=name, phone=phone)
    audit_record(
        actor=by,
        action="maintenance_worker.create",
        obj=worker,
        after={"operator": operator.code, "name": name},
    )
    return worker


@transaction.atomic
def maintenance_worker_report(
    *, worker: MaintenanceWorker, on_duty: bool, lat: float | None, lng: float | None
) -> MaintenanceWorker:
    """A worker goes on/off duty and reports a position (from the phone)."""
    if (lat is None) != (lng is None):
        raise DomainError("bad_position", _("经纬度必须同时提供。"))
    if lat is not None and not (-90 <= lat <= 90 and -180 <= (lng or 0) <= 180):
        raise DomainError("bad_position", _("经纬度超出范围。"))
    before = {"on_duty": worker.on_duty}
    worker.on_duty = on_duty
    if lat is not None:
        worker.last_lat, worker.last_lng = lat, lng
        worker.last_seen_at = timezone.now()
    worker.save(update_fields=["on_duty", "last_lat", "last_lng", "last_seen_at"])
    audit_record(
        actor=worker.user,
        action="maintenance_worker.report",
        obj=worker,
        before=before,
        after={"on_duty": on_duty},
    )
    return worker


WEBHOOK_FIELDS = ("webhook_url", "webhook_secret")


def webhook_secret_new() -> str:
    """A fresh webhook signing secret: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def _webhook_validate(operator: Operator) -> None:
    """The model's rules for the webhook fields (`Operator.clean`), as a DomainError."""
    others = [f.name for f in Operator._meta.fields if f.name not in WEBHOOK_FIELDS]
    try:
        operator.full_clean(exclude=others, validate_unique=False)
    except ValidationError as exc:
        raise DomainError("bad_webhook", " ".join(str(m) for m in exc.messages)) from exc


def _webhook_state(operator: Operator) -> dict[str, Any]:
    """What an audit row says about the webhook settings: never the secret itself."""
    return {"webhook_url": operator.webhook_url, "secret_hint": operator.webhook_secret_hint()}


def _webhooks_release_held(operator: Operator) -> None:
    from nuanxin.notices.webhooks import webhooks_release_held

    webhooks_release_held(operator_id=operator.pk)


@transaction.atomic
def operator_webhook_set(
    *, operator: Operator, url: str, by: Any, source_ip: str | None = None
) -> tuple[Operator, str | None]:
    """Set (or, with "", clear) where the operator's notices are pushed. A URL needs a
    signing secret: when none is set one is generated, and returned so that it can be
    shown once; otherwise the second value is None."""
    op = Operator.objects.select_for_update().get(pk=operator.pk)
    before = _webhook_state(op)
    url = url.strip()
    generated = None
    if url and not op.webhook_secret:
        generated = op.webhook_secret = webhook_secret_new()
    op.webhook_url = url
    _webhook_validate(op)
    if op.webhook_url == before["webhook_url"] and generated is None:
        return op, None
    op.save(update_fields=list(WEBHOOK_FIELDS))
    audit_record(
        actor=by,
        action="operator.webhook_set",
        obj=op,
        before=before,
        after={**_webhook_state(op), "secret_generated": generated is not None},
        source_ip=source_ip,
    )
    if op.webhook_url and op.webhook_secret:
        _webhooks_release_held(op)  # what waited for a secret or a URL goes out now
    return op, generated


@transaction.atomic
def operator_webhook_secret_rotate(
    *, operator: Operator, by: Any, source_ip: str | None = None
) -> str:
    """Replace the signing secret with a new random one and return it (shown once). The
    next request is signed with it; a receiver that still checks the old one answers an
    error, and the delivery is retried with backoff until it has the new one."""
    op = Operator.objects.select_for_update().get(pk=operator.pk)
    before = _webhook_state(op)
    op.webhook_secret = webhook_secret_new()  # valid whatever the URL: a leak is fixed first
    op.save(update_fields=["webhook_secret"])
    audit_record(
        actor=by,
        action="operator.webhook_secret_rotate",
        obj=op,
        before=before,
        after=_webhook_state(op),
        source_ip=source_ip,
    )
    _webhooks_release_held(op)
    return op.webhook_secret
