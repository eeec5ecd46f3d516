"""Public JSON for a complaint's progress by tracking number (no personal data)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from nuanxin.feedback.catalog import category_name
from nuanxin.feedback.selectors import complaint_by_tracking

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


class NotFoundOut(Schema):
    code: str
    detail: str


@router.get("/complaints/{tracking_no}", auth=None, response={200: TrackOut, 404: NotFoundOut})
def complaint_track(request: HttpRequest, tracking_no: str) -> tuple[int, object]:
    """Stage and public steps only: the text, photos and phone stay on the complainant's page."""
    complaint = complaint_by_tracking(tracking_no)
    if complaint is None:
        return 404, {"code": "not_found", "detail": _("未找到该受理编号。")}
    steps = [
        {"at": e.at, "status": e.to_status}
        for e in complaint.events.filter(public=True).exclude(to_status="").order_by("at", "pk")
    ]
    return 200, {
        "tracking_no": complaint.tracking_no,
        "category": category_name(complaint.category),
        "status": complaint.status,
        "status_label": complaint.get_status_display(),
        "stage_deadline": complaint.stage_deadline,
        "overdue": complaint.overdue,
        "steps": steps,
    }
