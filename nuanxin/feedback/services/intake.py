"""Complaints that reach staff by phone (12345/12319 hotlines) or in person: a dispatcher or
officer enters them, and they join the same coordination workflow as public ones."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from nuanxin.core.access import require_role, sees_whole_city
from nuanxin.core.errors import DomainError, NotAllowed
from nuanxin.feedback.models import Complaint
from nuanxin.feedback.services.complaints import complaint_submit

INTAKE_ROLES = ("dispatcher", "officer", "chief", "bureau_admin")


def complaint_register(
    *,
    by: Any,
    channel: str,
    category: str,
    description: str,
    merchant: Any = None,
    lat: float | None = None,
    lng: float | None = None,
    address: str = "",
    phone: str = "",
    contact_name: str = "",
    photos: list[Any] | None = None,
    source_ip: str | None = None,
) -> Complaint:
    """Enter a complaint received by phone or in person. The channel is recorded as the
    complaint's source and the staff member as its submitter; routing, deadlines and audit
    are complaint_submit's. An officer enters complaints for their own district only."""
    user = require_role(by, *INTAKE_ROLES)
    if channel not in Complaint.STAFF_CHANNELS:
        raise DomainError("bad_channel", _("请选择受理渠道。"))
    if not sees_whole_city(user):
        _require_own_district(user, merchant=merchant, lat=lat, lng=lng)
    return complaint_submit(
        category=category,
        description=description,
        source=channel,
        merchant=merchant,
        photos=photos,
        phone=phone,
        contact_name=contact_name,
        lat=lat,
        lng=lng,
        address=address,
        ip=source_ip,
        by=user,
    )


def _require_own_district(
    user: Any, *, merchant: Any, lat: float | None, lng: float | None
) -> None:
    from nuanxin.orgs.selectors import district_for_point

    if merchant is not None and merchant.district_id != user.district_id:
        raise NotAllowed("out_of_district", _("该商户不在您的辖区内，请转指挥中心登记。"))
    if lat is not None and lng is not None and -90 <= lat <= 90 and -180 <= lng <= 180:
        district = district_for_point(lat=lat, lng=lng)
        if district is None or district.pk != user.district_id:
            raise NotAllowed("out_of_district", _("该位置不在您的辖区内，请转指挥中心登记。"))
