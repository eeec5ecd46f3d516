"""Writes for operators, bikes and maintenance crews. Spots live in services_spots.py."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record
from nuanxin.bikes.models import Bike, MaintenanceWorker, Operator, UnregisteredSighting
from nuanxin.bikes.policy import bike_policy
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
            _("车牌 %(plate)s 格式不正确：%(rule)s")
            % {"plate": plate, "rule": policy.plate_description},
        ) from exc


def bikes_register(
    *, operator: Operator, vehicles: list[tuple[int, VehicleIn]], actor_label: str
) -> tuple[list[Bike], list[ItemFailure]]:
    """Register new bikes for an operator; refuses duplicates and anything beyond the quota.

    Each (index, vehicle) is accepted or gets an ItemFailure; accepted ones are written in
    one transaction with one audit row.
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
        fleet = Bike.objects.filter(operator=op).count()
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
                failures.append(
                    ItemFailure(
                        index,
                        "already_registered",
                        _("车牌 %(plate)s 已被其他车辆使用（一车一牌，全市唯一）。")
                        % {"plate": v.plate},
                        ["vehicle_id"],
                    )
                )
                continue
            if fleet + len(new) >= op.quota:
                failures.append(
                    ItemFailure(
                        index,
                        "bad_param",
                        _("超出投放配额：本企业配额 %(quota)d 辆，已登记 %(fleet)d 辆。")
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
    """Change registered bikes (plate, type, propulsion). Only the operator's own bikes."""
    failures: list[ItemFailure] = []
    updated = 0
    with transaction.atomic():
        existing = {
            b.device_id: b
            for b in Bike.objects.filter(device_id__in=[v.device_id for _i, v in vehicles])
        }
        changes: list[dict[str, Any]] = []
        for index, v in vehicles:
            bike = existing.get(v.device_id)
            if bike is None or bike.operator_id != operator.pk:
                failures.append(
                    ItemFailure(index, "unregistered", _("该 device_id 未登记。"), ["device_id"])
                )
                continue
            if v.plate != bike.plate and Bike.objects.filter(plate=v.plate).exists():
                failures.append(
                    ItemFailure(
                        index,
                        "bad_param",
                        _("车牌 %(plate)s 已被其他车辆使用（一车一牌，全市唯一）。")
                        % {"plate": v.plate},
                        ["vehicle_id"],
                    )
                )
                continue
            before = {"plate": bike.plate, "vehicle_type": bike.vehicle_type}
            bike.plate = v.plate
            bike.vehicle_type = v.vehicle_type
            bike.propulsion_types = list(v.propulsion_types)
            bike.battery_capacity = v.battery_capacity
            bike.maximum_speed = v.maximum_speed
            bike.updated_at = timezone.now()
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
            changes.append({"device_id": str(bike.device_id), "before": before, "plate": v.plate})
            updated += 1
        if changes:
            audit_record(
                actor=None,
                actor_label=actor_label,
                action="bike.update",
                obj=operator,
                after={"count": updated, "changes": changes[:50]},
            )
    return updated, failures


def unregistered_record(
    *, operator: Operator, device_ids: dict[uuid.UUID, int] | dict[str, int]
) -> None:
    """Count data sent for bikes the operator never registered (read by operator credit).

    `device_ids` maps each device_id (a UUID or its text) to the number of rejected items.
    Runs in the caller's transaction.
    """
    if not device_ids:
        return
    device_ids = {d if isinstance(d, uuid.UUID) else uuid.UUID(d): n for d, n in device_ids.items()}
    now = timezone.now()
    total = sum(device_ids.values())
    Operator.objects.filter(pk=operator.pk).update(
        unregistered_event_count=F("unregistered_event_count") + total
    )
    known = set(
        UnregisteredSighting.objects.filter(
            operator=operator, device_id__in=list(device_ids)
        ).values_list("device_id", flat=True)
    )
    for device_id in known:
        UnregisteredSighting.objects.filter(operator=operator, device_id=device_id).update(
            count=F("count") + device_ids[device_id], last_seen_at=now
        )
    UnregisteredSighting.objects.bulk_create(
        [
            UnregisteredSighting(
                operator=operator, device_id=d, first_seen_at=now, last_seen_at=now, count=n
            )
            for d, n in device_ids.items()
            if d not in known
        ],
        ignore_conflicts=True,
    )


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
