"""Public JSON for mini-programs and handheld apps: the same facts the scan page shows."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from nuanxin.core.http import client_ip
from nuanxin.doorcodes.selectors import InvalidDoorCode, door_code_resolve, scan_summary
from nuanxin.doorcodes.services import counterfeit_scan_log

router = Router(tags=["doorcodes"])


class LicenceOut(Schema):
    kind: str
    number: str
    valid_from: dt.date
    valid_until: dt.date | None
    expired: bool
    expiring_soon: bool


class ScanOut(Schema):
    name: str
    category: str
    address: str
    credit_level: str
    rating_average: float | None
    rating_count: int
    licences: list[LicenceOut]


class InvalidOut(Schema):
    code: str
    detail: str


def invalid_code_refusal(request: HttpRequest, token: str, exc: InvalidDoorCode) -> Status:
    """Log a refused token as a possible counterfeit and name the refusal: 404 for a forged,
    altered or unknown code, 410 for a revoked one (or a closed merchant). Every public API
    that takes a door-code token answers a bad one through here, as the pages do."""
    counterfeit_scan_log(
        token_text=token,
        reason=exc.reason,
        door_code=exc.door_code,
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
    status = exc.http_status
    return Status(status, {"code": exc.reason, "detail": _("此码无效，请举报。")})


@router.get("/scan/{token}", auth=None, response={200: ScanOut, 404: InvalidOut, 410: InvalidOut})
def scan(request: HttpRequest, token: str) -> Status:
    """A door code's public facts. No personal data: the responsible person is never shown.
    An invalid code is logged as a possible counterfeit, exactly as the page does."""
    try:
        code = door_code_resolve(token)
    except InvalidDoorCode as exc:
        return invalid_code_refusal(request, token, exc)
    merchant = code.merchant
    summary = scan_summary(merchant=merchant)
    return Status(
        200,
        {
            "name": merchant.name,
            "category": merchant.category,
            "address": merchant.address,
            "credit_level": summary.credit_level,
            "rating_average": summary.rating_average,
            "rating_count": summary.rating_count,
            "licences": summary.licences,
        },
    )
