"""Public JSON for mini-programs and handheld apps: rate and complain from a door code (the
same services and rules as the public pages), and follow a complaint by tracking number
(no personal data)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from nuanxin.core.http import client_ip
from nuanxin.doorcodes.api import invalid_code_refusal
from nuanxin.doorcodes.selectors import InvalidDoorCode, door_code_resolve
from nuanxin.feedback.catalog import category_name
from nuanxin.feedback.device import api_device_key
from nuanxin.feedback.models import Complaint
from nuanxin.feedback.selectors import complaint_by_tracking
from nuanxin.feedback.services.complaints import complaint_submit
from nuanxin.feedback.services.ratings import rating_submit
from nuanxin.feedback.views_public import complainant_key

router = Router(tags=["feedback"])


class StepOut(Schema):
    at: dt.datetime
    status: str


class TrackOut(Schema):
    tracking_no: str
    category: str
    status: str
    status_label: str
    stage_deadline: dt.datetime | None
    overdue: bool
    steps: list[StepOut]


class ErrorOut(Schema):
    code: str
    detail: str


NotFoundOut = ErrorOut
# The refusals a door-code submission can get: bad input (400), a forged or unknown code
# (404), a revoked one (410), already rated today (409), too many submissions (429).
_SUBMIT_ERRORS = {400: ErrorOut, 404: ErrorOut, 409: ErrorOut, 410: ErrorOut, 429: ErrorOut}


class RatingIn(Schema):
    token: str = Field(description="the door code's signed token (the last part of /q/<token>)")
    stars: int = Field(description="1–5")
    tags: list[str] = Field(default_factory=list, description="from the catalogue's rating tags")
    text: str = Field(default="", description="at most 500 characters")


class RatingOut(Schema):
    id: int
    merchant: str
    stars: int
    tags: list[str]
    day: dt.date


class ComplaintIn(Schema):
    token: str = Field(description="the door code's signed token")
    category: str = Field(description="a service_code from /open311/v2/services.json")
    description: str = Field(description="5–2000 characters")
    phone: str = Field(default="", description="optional mobile number for a call-back")
    lat: float | None = Field(default=None, description="WGS-84, where the problem is")
    lng: float | None = None


class ComplaintOut(Schema):
    tracking_no: str
    status: str
    status_label: str
    complainant_key: str = Field(description="lets the complainant open the full status page")
    status_url: str = Field(description="the complainant's status page")


@router.post("/ratings", auth=None, response={201: RatingOut, **_SUBMIT_ERRORS})
def rating_create(request: HttpRequest, payload: RatingIn) -> Status:
    """Rate a merchant from its door code. One rating per device per merchant per day (the
    device is the `nx_device` cookie, else the `X-Device-Id` header, else the IP address);
    rate limited per IP; abusive text refused."""
    try:
        code = door_code_resolve(payload.token)
    except InvalidDoorCode as exc:
        return invalid_code_refusal(request, payload.token, exc)
    rating = rating_submit(
        merchant=code.merchant,
        door_code=code,
        stars=payload.stars,
        tags=payload.tags,
        text=payload.text,
        device_key=api_device_key(request),
        ip=client_ip(request),
    )
    return Status(
        201,
        {
            "id": rating.pk,
            "merchant": code.merchant.name,
            "stars": rating.stars,
            "tags": rating.tags,
            "day": rating.day,
        },
    )


@router.post("/complaints", auth=None, response={201: ComplaintOut, **_SUBMIT_ERRORS})
def complaint_create(
    request: HttpRequest,
    payload: Form[ComplaintIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Status:
    """File a complaint about the merchant behind a door code (multipart/form-data; `photos`
    may repeat: JPEG, PNG or WebP, size- and count-limited, EXIF stripped for display).
    Routed to the district by location; the answer carries the tracking number."""
    try:
        code = door_code_resolve(payload.token)
    except InvalidDoorCode as exc:
        return invalid_code_refusal(request, payload.token, exc)
    complaint = complaint_submit(
        category=payload.category,
        description=payload.description,
        source=Complaint.Source.SCAN,
        merchant=code.merchant,
        door_code=code,
        photos=list(photos or []),
        phone=payload.phone,
        lat=payload.lat,
        lng=payload.lng,
        ip=client_ip(request),
        device_key=api_device_key(request),
    )
    key = complainant_key(complaint.tracking_no)
    return Status(
        201,
        {
            "tracking_no": complaint.tracking_no,
            "status": complaint.status,
            "status_label": complaint.get_status_display(),
            "complainant_key": key,
            "status_url": f"{settings.SITE_ROOT}/c/{complaint.tracking_no}?k={key}",
        },
    )


@router.get("/complaints/{tracking_no}", auth=None, response={200: TrackOut, 404: NotFoundOut})
def complaint_track(request: HttpRequest, tracking_no: str) -> Status:
    """Stage and public steps only: the text, photos and phone stay on the complainant's page."""
    complaint = complaint_by_tracking(tracking_no)
    if complaint is None:
        return Status(404, {"code": "not_found", "detail": _("未找到该受理编号。")})
    steps = [
        {"at": e.at, "status": e.to_status}
        for e in complaint.events.filter(public=True).exclude(to_status="").order_by("at", "pk")
    ]
    return Status(
        200,
        {
            "tracking_no": complaint.tracking_no,
            "category": category_name(complaint.category),
            "status": complaint.status,
            "status_label": complaint.get_status_display(),
            "stage_deadline": complaint.stage_deadline,
            "overdue": complaint.overdue,
            "steps": steps,
        },
    )
