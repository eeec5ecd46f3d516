"""Writes for door codes and counterfeit-scan logging (each audited in its transaction)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import h3
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record
from nuanxin.core.errors import DomainError
from nuanxin.doorcodes.models import CounterfeitScan, DoorCode
from nuanxin.doorcodes.tokens import new_code_id
from nuanxin.lib.env import envint

# Resolution 9 cells are about 0.1 km², roughly one street block.
COUNTERFEIT_H3_RESOLUTION = envint("DOORCODE_COUNTERFEIT_H3_RES", 9)
# Repeat scans of one token from one address within this window add hits to one row.
COUNTERFEIT_DEDUP_MINUTES = 30


def _new_unique_code_id() -> str:
    for _attempt in range(10):
        code_id = new_code_id()
        if not DoorCode.objects.filter(code_id=code_id).exists():
            return code_id
    raise RuntimeError("could not draw a unique door-code id")  # 31^8: practically never


@transaction.atomic
def door_code_issue(
    *, merchant: Any, by: Any, reason: str = "", source_ip: str | None = None
) -> DoorCode:
    """Issue a new code for `merchant`; the current one (if any) is revoked in the same step."""
    if merchant.status == "closed":
        raise DomainError("merchant_closed", _("该市场主体已注销，不能签发信息认证码。"))
    now = timezone.now()
    current = (
        DoorCode.objects.select_for_update()
        .filter(merchant=merchant, revoked_at__isnull=True)
        .first()
    )
    last_version = (
        DoorCode.objects.filter(merchant=merchant)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
        or 0
    )
    actor = by if getattr(by, "is_authenticated", False) else None
    if current is not None:
        current.revoked_at = now
        current.revoked_by = actor
        current.revoke_reason = reason or _("重新签发")
        current.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    try:
        with transaction.atomic():
            code = DoorCode.objects.create(
                merchant=merchant,
                code_id=_new_unique_code_id(),
                version=last_version + 1,
                issued_at=now,
                issued_by=actor,
            )
    except IntegrityError as exc:  # a concurrent issue for the same merchant won the race
        raise DomainError(
            "doorcode_concurrent", _("该商户的信息认证码正在被他人签发，请刷新后重试。")
        ) from exc
    audit_record(
        actor=by,
        action="door_code.reissue" if current is not None else "door_code.issue",
        obj=code,
        before={"code_id": current.code_id, "version": current.version} if current else None,
        after={"code_id": code.code_id, "version": code.version, "merchant_id": merchant.pk},
        source_ip=source_ip,
    )
    return code


@transaction.atomic
def door_code_revoke(
    *, code: DoorCode, by: Any, reason: str, source_ip: str | None = None
) -> DoorCode:
    """Revoke without replacement (e.g. the merchant closed or the plate was stolen)."""
    if code.revoked_at is not None:
        return code
    if not reason.strip():
        raise DomainError("reason_required", _("请填写作废原因。"))
    code.revoked_at = timezone.now()
    code.revoked_by = by if getattr(by, "is_authenticated", False) else None
    code.revoke_reason = reason.strip()[:200]
    code.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    audit_record(
        actor=by,
        action="door_code.revoke",
        obj=code,
        before={"revoked": False},
        after={"revoked": True, "reason": code.revoke_reason},
        source_ip=source_ip,
    )
    return code


def counterfeit_scan_log(
    *,
    token_text: str,
    reason: str,
    door_code: DoorCode | None,
    ip: str | None,
    user_agent: str,
) -> CounterfeitScan:
    """Record a refused scan. Not audited: anonymous traffic, not a change by a person
    (bulk scans would otherwise flood the audit chain); the row itself is the record."""
    now = timezone.now()
    token_text = (token_text or "")[:300]
    since = now - dt.timedelta(minutes=COUNTERFEIT_DEDUP_MINUTES)
    with transaction.atomic():
        existing = (
            CounterfeitScan.objects.filter(token_text=token_text, ip=ip, last_seen_at__gte=since)
            .order_by("-last_seen_at")
            .first()
        )
        if existing is not None:
            CounterfeitScan.objects.filter(pk=existing.pk).update(
                hits=existing.hits + 1, last_seen_at=now
            )
            existing.hits += 1
            return existing
        return CounterfeitScan.objects.create(
            token_text=token_text,
            reason=reason,
            door_code=door_code,
            ip=ip,
            user_agent=(user_agent or "")[:300],
            first_seen_at=now,
            last_seen_at=now,
        )


def counterfeit_scan_report(
    *, scan: CounterfeitScan, lat: float, lng: float, note: str = ""
) -> CounterfeitScan:
    """A citizen tells us where the suspicious plate hangs."""
    from nuanxin.orgs.selectors import district_for_point

    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise DomainError("bad_location", _("位置坐标无效。"))
    with transaction.atomic():
        scan.lat = lat
        scan.lng = lng
        scan.grid_cell = h3.latlng_to_cell(lat, lng, COUNTERFEIT_H3_RESOLUTION)
        scan.district = district_for_point(lat=lat, lng=lng)
        scan.report_note = note.strip()[:300]
        scan.reported_at = timezone.now()
        scan.save(
            update_fields=["lat", "lng", "grid_cell", "district", "report_note", "reported_at"]
        )
        audit_record(
            actor=None,
            actor_label="public",
            action="counterfeit_scan.report",
            obj=scan,
            after={"grid_cell": scan.grid_cell, "district_id": scan.district_id},
        )
    return scan
