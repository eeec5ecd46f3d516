"""Complaints and categories in Open311 GeoReport v2 shapes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from nuanxin.feedback.catalog import Category, categories, category_name, sla
from nuanxin.feedback.models import Complaint, ComplaintStatus

MERCHANT_ATTRIBUTE = "merchant_uscc"


def w3c(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def service_json(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": True,
        "type": "realtime",
        "keywords": ",".join(category.keywords),
        "group": category.group,
    }


def services_json() -> list[dict[str, Any]]:
    return [service_json(c) for c in categories()]


def service_definition_json(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": MERCHANT_ATTRIBUTE,
                "datatype": "string",
                "required": False,
                "datatype_description": "18位统一社会信用代码 (GB 32100-2015)",
                "order": 1,
                "description": "被投诉商户的统一社会信用代码（选填）",
                "values": [],
            }
        ],
    }


def _status_notes(complaint: Complaint) -> str:
    notes = getattr(complaint, "public_notes", None)
    if notes:
        return f"{complaint.get_status_display()}：{notes[-1].note}"[:500]
    return str(complaint.get_status_display())


def _service_notice() -> str:
    stages = sla().get("stages", {})
    total = sum(float(h) for k, h in stages.items() if k != "awaiting_feedback")
    return f"按规定时限办理，全程约{round(total / 24)}个工作日内答复"


def request_json(complaint: Complaint, *, notice: str | None = None) -> dict[str, Any]:
    agency = complaint.district.name if complaint.district is not None else settings.BUREAU_NAME
    return {
        "service_request_id": complaint.tracking_no,
        "status": "closed" if complaint.status == ComplaintStatus.CLOSED else "open",
        "status_notes": _status_notes(complaint),
        "service_name": category_name(complaint.category),
        "service_code": complaint.category,
        "description": complaint.description,
        "agency_responsible": agency,
        "service_notice": notice if notice is not None else _service_notice(),
        "requested_datetime": w3c(complaint.created_at),
        "updated_datetime": w3c(complaint.updated_at),
        "expected_datetime": w3c(complaint.stage_deadline),
        "address": complaint.address,
        "address_id": complaint.merchant.uscc if complaint.merchant is not None else "",
        "zipcode": "",
        "lat": complaint.lat,
        "long": complaint.lng,
        "media_url": complaint.media_url,
    }
