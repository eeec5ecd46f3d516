"""Writes of the merchant registry: every one validated, in one transaction, audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record, snapshot
from nuanxin.core.errors import Conflict, DomainError
from nuanxin.merchants import validation as v
from nuanxin.merchants.models import Inspection, Licence, Merchant
from nuanxin.orgs.models import District
from nuanxin.orgs.selectors import district_for_point

MERCHANT_FIELDS = [
    "uscc",
    "name",
    "kind",
    "category",
    "status",
    "district",
    "street",
    "address",
    "lat",
    "lng",
    "contact_name",
    "contact_phone",
]
LICENCE_FIELDS = ["kind", "number", "issuer", "valid_from", "valid_until"]


def _fail(field: str, message: str) -> DomainError:
    return DomainError(f"merchant_invalid_{field}", message, field=field)


def _place(*, lat: Any, lng: Any, district: District | None) -> tuple[float, float, District]:
    lat_f, lng_f, error = v.check_coordinate(lat, lng)
    if error or lat_f is None or lng_f is None:
        raise _fail("lat", error)
    found = district_for_point(lat=lat_f, lng=lng_f)
    if found is None:
        raise _fail("lat", _("坐标不在本市任何辖区范围内。"))
    return lat_f, lng_f, district or found


def _clean_merchant(data: dict[str, Any], *, instance: Merchant | None) -> dict[str, Any]:
    clean = dict(data)
    if "uscc" in data:
        code, error = v.check_uscc(data["uscc"])
        if error:
            raise _fail("uscc", error)
        duplicate = Merchant.objects.filter(uscc=code)
        if instance is not None:
            duplicate = duplicate.exclude(pk=instance.pk)
        if duplicate.exists():
            raise Conflict(
                "merchant_uscc_taken",
                _("统一社会信用代码 %(code)s 已登记。") % {"code": code},
                field="uscc",
            )
        clean["uscc"] = code
    if "name" in data:
        error = v.check_name(data["name"])
        if error:
            raise _fail("name", error)
        clean["name"] = str(data["name"]).strip()
    if "kind" in data:
        kind, error = v.check_kind(data["kind"])
        if error:
            raise _fail("kind", error)
        clean["kind"] = kind
    if "status" in data and data["status"] not in Merchant.Status.values:
        raise _fail("status", _("状态无效。"))
    if "address" in data and not str(data["address"] or "").strip():
        raise _fail("address", _("经营地址不能为空。"))
    if "contact_name" in data and not str(data["contact_name"] or "").strip():
        raise _fail("contact_name", _("负责人不能为空。"))
    if "contact_phone" in data:
        error = v.check_phone(data["contact_phone"])
        if error:
            raise _fail("contact_phone", error)
    if "lat" in data or "lng" in data or "district" in data:
        lat = data.get("lat", instance.lat if instance else None)
        lng = data.get("lng", instance.lng if instance else None)
        district = data.get("district")
        clean["lat"], clean["lng"], clean["district"] = _place(lat=lat, lng=lng, district=district)
    return clean


@transaction.atomic
def merchant_create(
    *,
    by: Any,
    uscc: str,
    name: str,
    kind: str,
    address: str,
    lat: float,
    lng: float,
    contact_name: str,
    contact_phone: str,
    category: str = "",
    street: str = "",
    district: District | None = None,
    status: str = Merchant.Status.ACTIVE,
    owners: list[Any] | None = None,
    source_ip: str | None = None,
) -> Merchant:
    """Register a market entity; the district comes from its location when not given."""
    data = _clean_merchant(
        {
            "uscc": uscc,
            "name": name,
            "kind": kind,
            "address": address,
            "lat": lat,
            "lng": lng,
            "district": district,
            "contact_name": contact_name,
            "contact_phone": contact_phone,
            "status": status,
        },
        instance=None,
    )
    merchant = Merchant.objects.create(**data, category=category.strip(), street=street.strip())
    if owners:
        merchant.owners.add(*owners)
    audit_record(
        actor=by,
        action="merchant.create",
        obj=merchant,
        after=snapshot(merchant, MERCHANT_FIELDS),
        source_ip=source_ip,
    )
    return merchant


@transaction.atomic
def merchant_update(
    *, merchant: Merchant, by: Any, source_ip: str | None = None, **changes: Any
) -> Merchant:
    """Change any of MERCHANT_FIELDS; coordinates re-derive the district unless it is given."""
    unknown = set(changes) - set(MERCHANT_FIELDS)
    if unknown:
        raise DomainError(
            "merchant_field_unknown", _("不能修改字段：%(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
    before = snapshot(merchant, MERCHANT_FIELDS)
    clean = _clean_merchant(changes, instance=merchant)
    for field, value in clean.items():
        setattr(merchant, field, value.strip() if isinstance(value, str) else value)
    merchant.save(update_fields=[*clean.keys(), "updated_at"])
    after = snapshot(merchant, MERCHANT_FIELDS)
    changed = [k for k in MERCHANT_FIELDS if before[k] != after[k]]
    audit_record(
        actor=by,
        action="merchant.update",
        obj=merchant,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
        source_ip=source_ip,
    )
    return merchant


def _clean_licence(data: dict[str, Any], *, instance: Licence | None) -> dict[str, Any]:
    clean = dict(data)
    if "kind" in data:
        kind, error = v.check_licence_kind(data["kind"])
        if error:
            raise DomainError("licence_invalid_kind", error, field="kind")
        clean["kind"] = kind
    if "number" in data:
        number = str(data["number"] or "").strip()
        if not number:
            raise DomainError("licence_invalid_number", _("证号不能为空。"), field="number")
        clean["number"] = number
    for field, required in (("valid_from", True), ("valid_until", False)):
        if field in data:
            day, error = v.check_date(data[field], required=required)
            if error:
                raise DomainError(f"licence_invalid_{field}", error, field=field)
            clean[field] = day
    valid_from = clean.get("valid_from", instance.valid_from if instance else None)
    valid_until = clean.get("valid_until", instance.valid_until if instance else None)
    if valid_from and valid_until and valid_until < valid_from:
        raise DomainError(
            "licence_invalid_period", _("有效期至不能早于有效期自。"), field="valid_until"
        )
    licence_kind = clean.get("kind", instance.kind if instance else None)
    licence_number = clean.get("number", instance.number if instance else None)
    duplicate = Licence.objects.filter(kind=licence_kind, number=licence_number)
    if instance is not None:
        duplicate = duplicate.exclude(pk=instance.pk)
    if duplicate.exists():
        raise Conflict(
            "licence_number_taken",
            _("该类证照编号 %(number)s 已登记。") % {"number": licence_number},
            field="number",
        )
    return clean


@transaction.atomic
def licence_add(
    *,
    merchant: Merchant,
    by: Any,
    kind: str,
    number: str,
    valid_from: dt.date | str,
    valid_until: dt.date | str | None = None,
    issuer: str = "",
    source_ip: str | None = None,
) -> Licence:
    clean = _clean_licence(
        {"kind": kind, "number": number, "valid_from": valid_from, "valid_until": valid_until},
        instance=None,
    )
    licence = Licence.objects.create(merchant=merchant, issuer=issuer.strip(), **clean)
    audit_record(
        actor=by,
        action="licence.add",
        obj=licence,
        after={"merchant_id": merchant.pk, **snapshot(licence, LICENCE_FIELDS)},
        source_ip=source_ip,
    )
    return licence


@transaction.atomic
def licence_update(
    *, licence: Licence, by: Any, source_ip: str | None = None, **changes: Any
) -> Licence:
    unknown = set(changes) - set(LICENCE_FIELDS)
    if unknown:
        raise DomainError(
            "licence_field_unknown", _("不能修改字段：%(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    licence = Licence.objects.select_for_update().get(pk=licence.pk)
    before = snapshot(licence, LICENCE_FIELDS)
    clean = _clean_licence(changes, instance=licence)
    for field, value in clean.items():
        setattr(licence, field, value.strip() if isinstance(value, str) else value)
    licence.save(update_fields=list(clean.keys()))
    audit_record(
        actor=by,
        action="licence.update",
        obj=licence,
        before=before,
        after=snapshot(licence, LICENCE_FIELDS),
        source_ip=source_ip,
    )
    return licence


INSPECTION_CREDIT_KIND = {
    Inspection.Result.PASS: "inspection_pass",
    Inspection.Result.FAIL: "inspection_fail",
    Inspection.Result.RECTIFY: "inspection_rectify",
}


@transaction.atomic
def inspection_record(
    *,
    merchant: Merchant,
    by: Any,
    result: str,
    at: dt.datetime | None = None,
    notes: str = "",
    source_ip: str | None = None,
) -> Inspection:
    """An officer's inspection; its result becomes a credit event in the same transaction."""
    from nuanxin.credit.services import credit_event_record

    if result not in Inspection.Result.values:
        raise DomainError("inspection_invalid_result", _("检查结果无效。"), field="result")
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise DomainError("inspection_naive_time", _("检查时间必须带时区。"), field="at")
    if at > timezone.now() + dt.timedelta(minutes=5):
        raise DomainError("inspection_future", _("检查时间不能晚于现在。"), field="at")
    if result != Inspection.Result.PASS and not notes.strip():
        raise DomainError(
            "inspection_notes_required", _("不合格或责令整改须填写检查记录。"), field="notes"
        )
    inspection = Inspection.objects.create(
        merchant=merchant, officer=by, at=at, result=result, notes=notes.strip()
    )
    audit_record(
        actor=by,
        action="inspection.record",
        obj=inspection,
        after={"merchant_id": merchant.pk, "result": result, "at": at.isoformat()},
        source_ip=source_ip,
    )
    credit_event_record(
        merchant=merchant,
        kind=INSPECTION_CREDIT_KIND[Inspection.Result(result)],
        source=inspection,
        occurred_at=at,
        by=by,
        note=notes[:200],
    )
    return inspection
