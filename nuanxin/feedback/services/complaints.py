"""The complaint coordination workflow.

received → assigned (to the district covering the location) → merchant_notified (portal)
→ merchant_replied | officer_handling → awaiting_feedback → closed; the complainant's
"not satisfied" reopens it (officer_handling). Each stage gets a deadline from
data/feedback/sla.yaml; the `feedback.complaints_overdue` job flags what is late
(services/overdue.py). State changes themselves go through services/stages.py.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record
from nuanxin.core.access import require_role
from nuanxin.core.errors import Conflict, DomainError, NotAllowed
from nuanxin.feedback.catalog import abusive_words_in, category_by_code, stage_deadline
from nuanxin.feedback.models import Complaint, ComplaintEvent, ComplaintPhoto
from nuanxin.feedback.photos import photos_process
from nuanxin.feedback.ports import credit_record
from nuanxin.feedback.ratelimit import rate_limit_hit
from nuanxin.feedback.services.stages import S, actor_text, complaint_move, complaint_snapshot
from nuanxin.lib.env import envint

COMPLAINTS_PER_IP_PER_HOUR = envint("COMPLAINT_MAX_PER_IP_HOUR", 10)
FEEDBACK_AFTER_CLOSE_DAYS = 7
CALLBACK_ROLES = ("officer", "dispatcher", "chief", "bureau_admin")
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def _tracking_no(now: dt.datetime) -> str:
    day = timezone.localdate(now).strftime("%Y%m%d")
    for digits in (4, 4, 4, 4, 6, 6, 8):
        candidate = f"TS{day}{secrets.randbelow(10**digits):0{digits}d}"
        if not Complaint.objects.filter(tracking_no=candidate).exists():
            return candidate
    raise RuntimeError("could not draw a free tracking number")


def _auto_assign(complaint: Complaint, *, source_ip: str | None) -> None:
    from nuanxin.orgs.selectors import district_for_point

    district = None
    if complaint.lat is not None and complaint.lng is not None:
        district = district_for_point(lat=complaint.lat, lng=complaint.lng)
    if district is None and complaint.merchant is not None:
        district = complaint.merchant.district
    if district is None:
        return  # outside every district: stays "received" for the dispatcher
    before = complaint_snapshot(complaint)
    complaint.district = district
    complaint_move(
        complaint,
        S.ASSIGNED,
        actor=None,
        actor_label="system:auto-assign",
        kind="assign",
        note=_("按位置自动分派至%(district)s") % {"district": district.name},
        extra_fields=["district"],
        before=before,
        source_ip=source_ip,
    )


def complaint_submit(
    *,
    category: str,
    description: str,
    source: str,
    merchant: Any = None,
    door_code: Any = None,
    photos: list[Any] | None = None,
    phone: str = "",
    contact_name: str = "",
    lat: float | None = None,
    lng: float | None = None,
    address: str = "",
    ip: str | None = None,
    device_key: str = "",
    external_id: str = "",
    media_url: str = "",
    by: Any = None,
) -> Complaint:
    """File a complaint and route it. Every input is checked before anything is stored."""
    if category_by_code(category) is None:
        raise DomainError("bad_category", _("请选择投诉类别。"))
    description = (description or "").strip()
    if len(description) < 5:
        raise DomainError("description_short", _("请描述问题（至少5个字）。"))
    if len(description) > 2000:
        raise DomainError("description_long", _("问题描述不能超过2000字。"))
    if abusive_words_in(description):
        raise DomainError("abusive_text", _("问题描述含有不文明用语，请修改后再提交。"))
    phone = re.sub(r"[\s-]", "", phone or "")
    if phone and not PHONE_RE.match(phone):
        raise DomainError("bad_phone", _("回访电话应为11位手机号码。"))
    if (lat is None) != (lng is None):
        raise DomainError("bad_location", _("位置需同时提供纬度和经度。"))
    if lat is not None and lng is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise DomainError("bad_location", _("位置坐标无效。"))
    if merchant is None and lat is None and not address.strip():
        raise DomainError("location_required", _("请提供问题位置（坐标或地址）。"))
    processed = photos_process(list(photos or []))
    # The per-IP limit protects the public channels; staff entering hotline calls from one
    # desk are logged-in and accountable instead.
    staff_entry = getattr(by, "is_authenticated", False)
    if (
        ip
        and not staff_entry
        and not rate_limit_hit(bucket="complaint", key=ip, limit=COMPLAINTS_PER_IP_PER_HOUR)
    ):
        from nuanxin.feedback.services.ratings import RateLimited

        raise RateLimited("rate_limited", _("提交过于频繁，请稍后再试。"))
    if merchant is not None and lat is None:
        lat, lng = merchant.lat, merchant.lng
        address = address or merchant.address
    now = timezone.now()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                complaint = Complaint.objects.create(
                    tracking_no=_tracking_no(now),
                    source=source,
                    merchant=merchant,
                    door_code=door_code,
                    category=category,
                    description=description,
                    address=address.strip()[:200],
                    lat=lat,
                    lng=lng,
                    phone=phone,
                    contact_name=contact_name.strip()[:50],
                    status=S.RECEIVED,
                    stage_entered_at=now,
                    stage_deadline=stage_deadline(S.RECEIVED, entered_at=now),
                    external_id=external_id[:64],
                    media_url=media_url[:500]
                    if media_url.startswith(("http://", "https://"))
                    else "",
                    submitted_ip=ip,
                    device_key=device_key[:64],
                    created_at=now,
                    updated_at=now,
                )
                for photo in processed:
                    ComplaintPhoto.objects.create(
                        complaint=complaint,
                        original=photo.original,
                        original_sha256=photo.original_sha256,
                        original_type=photo.original_type,
                        original_size=photo.original_size,
                        display=photo.display,
                        width=photo.width,
                        height=photo.height,
                        created_at=now,
                    )
                user = by if getattr(by, "is_authenticated", False) else None
                ComplaintEvent.objects.create(
                    complaint=complaint,
                    at=now,
                    actor=user,
                    actor_label=actor_text(by) or _("投诉人"),
                    kind="submit",
                    to_status=S.RECEIVED,
                    note=_("投诉已受理，受理编号 %(no)s") % {"no": complaint.tracking_no},
                )
                audit_record(
                    actor=user,
                    actor_label="" if user else f"public:{source}",
                    action="complaint.submit",
                    obj=complaint,
                    after={
                        "tracking_no": complaint.tracking_no,
                        "merchant_id": getattr(merchant, "pk", None),
                        "category": category,
                        "photos": len(processed),
                        "source": source,
                    },
                    source_ip=ip,
                )
                _auto_assign(complaint, source_ip=ip)
                return complaint
        except IntegrityError:
            continue  # two complaints drew the same tracking number: draw again
    raise Conflict("busy", _("系统繁忙，请稍后重试。"))


def _require_open(complaint: Complaint) -> None:
    if complaint.status == S.CLOSED:
        raise Conflict("closed", _("该投诉已办结。"))


@transaction.atomic
def complaint_assign(
    *, complaint: Complaint, district: Any, by: Any, source_ip: str | None = None
) -> Complaint:
    """The dispatcher routes (or re-routes) a complaint to a district."""
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    before = complaint_snapshot(complaint)
    complaint.district = district
    complaint.handler = None
    return complaint_move(
        complaint,
        S.ASSIGNED,
        actor=by,
        kind="assign",
        note=_("分派至%(district)s") % {"district": district.name},
        extra_fields=["district", "handler"],
        before=before,
        source_ip=source_ip,
    )


@transaction.atomic
def complaint_claim(*, complaint: Complaint, by: Any, source_ip: str | None = None) -> Complaint:
    """An officer of the district takes the complaint as its handler (承办人)."""
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    _require_open(complaint)
    if getattr(by, "role", "") != "officer":
        raise NotAllowed("officer_only", _("只有执法队员可以承办投诉。"))
    if complaint.district_id is None or complaint.district_id != by.district_id:
        raise NotAllowed("other_district", _("该投诉不属于您的辖区。"))
    if complaint.handler_id == by.pk:
        return complaint
    before = complaint_snapshot(complaint)
    complaint.handler = by
    complaint.updated_at = timezone.now()
    complaint.save(update_fields=["handler", "updated_at"])
    ComplaintEvent.objects.create(
        complaint=complaint,
        actor=by,
        actor_label=actor_text(by),
        kind="claim",
        note=_("%(name)s 承办") % {"name": by},
        public=False,
    )
    audit_record(
        actor=by,
        action="complaint.claim",
        obj=complaint,
        before=before,
        after=complaint_snapshot(complaint),
        source_ip=source_ip,
    )
    return complaint


@transaction.atomic
def complaint_notify_merchant(
    *, complaint: Complaint, by: Any, note: str = "", source_ip: str | None = None
) -> Complaint:
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.merchant_id is None:
        raise DomainError("no_merchant", _("该投诉未关联商户，请由执法队员直接处理。"))
    if complaint.handler_id is None and getattr(by, "role", "") == "officer":
        complaint.handler = by
    return complaint_move(
        complaint,
        S.MERCHANT_NOTIFIED,
        actor=by,
        kind="notify_merchant",
        note=note.strip() or _("已通知商户在线答复整改"),
        extra_fields=["handler"],
        source_ip=source_ip,
    )


@transaction.atomic
def complaint_merchant_reply(
    *, complaint: Complaint, by: Any, reply: str, source_ip: str | None = None
) -> Complaint:
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    reply = (reply or "").strip()
    if len(reply) < 5:
        raise DomainError("reply_short", _("请填写答复内容（至少5个字）。"))
    complaint.merchant_reply = reply[:2000]
    complaint.merchant_replied_at = timezone.now()
    return complaint_move(
        complaint,
        S.MERCHANT_REPLIED,
        actor=by,
        kind="merchant_reply",
        note=complaint.merchant_reply,
        extra_fields=["merchant_reply", "merchant_replied_at"],
        source_ip=source_ip,
    )


@transaction.atomic
def complaint_take_over(
    *, complaint: Complaint, by: Any, note: str = "", source_ip: str | None = None
) -> Complaint:
    """The officer handles it directly (from assigned, or after an unsatisfying reply)."""
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.handler_id is None and getattr(by, "role", "") == "officer":
        complaint.handler = by
    return complaint_move(
        complaint,
        S.OFFICER_HANDLING,
        actor=by,
        kind="officer_handle",
        note=note.strip() or _("执法队员现场处理"),
        extra_fields=["handler"],
        source_ip=source_ip,
    )


@transaction.atomic
def complaint_resolve(
    *,
    complaint: Complaint,
    by: Any,
    resolution: str,
    substantiated: bool,
    source_ip: str | None = None,
) -> Complaint:
    """Record the outcome and ask the complainant for feedback. The finding (substantiated
    or not) goes to the merchant's credit record once, and again only if it changes."""
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    resolution = (resolution or "").strip()
    if len(resolution) < 5:
        raise DomainError("resolution_short", _("请填写处理结果（至少5个字）。"))
    previous_finding = complaint.substantiated
    complaint.resolution = resolution[:2000]
    complaint.substantiated = bool(substantiated)
    complaint_move(
        complaint,
        S.AWAITING_FEEDBACK,
        actor=by,
        kind="resolve",
        note=complaint.resolution,
        extra_fields=["resolution", "substantiated"],
        source_ip=source_ip,
    )
    if complaint.merchant_id is not None and previous_finding != complaint.substantiated:
        credit_record(
            merchant=complaint.merchant,
            kind="complaint_substantiated" if substantiated else "complaint_unfounded",
            source=complaint,
            occurred_at=timezone.now(),
            by=by,
            note=(_("投诉 %(no)s 经核查属实") if substantiated else _("投诉 %(no)s 经核查不属实"))
            % {"no": complaint.tracking_no},
        )
    return complaint


@transaction.atomic
def complaint_feedback(
    *,
    complaint: Complaint,
    satisfied: bool,
    note: str = "",
    ip: str | None = None,
    by: Any = None,
) -> Complaint:
    """The complainant's verdict: satisfied closes it, not satisfied reopens it. `by` is the
    staff member who heard it on a call-back (phone and walk-in complainants have no page
    to answer on); None when the complainant answered on their status page."""
    if by is not None:
        by = require_role(by, *CALLBACK_ROLES)
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    note = (note or "").strip()[:500]
    if abusive_words_in(note):
        raise DomainError("abusive_text", _("评价说明含有不文明用语，请修改后再提交。"))
    late_allowed = (
        complaint.status == S.CLOSED
        and complaint.feedback == ""
        and complaint.closed_at is not None
        and timezone.now() - complaint.closed_at < dt.timedelta(days=FEEDBACK_AFTER_CLOSE_DAYS)
    )
    if complaint.status != S.AWAITING_FEEDBACK and not late_allowed:
        raise Conflict("no_feedback_now", _("当前阶段不需要您的评价。"))
    complaint.feedback = (
        Complaint.Feedback.SATISFIED if satisfied else Complaint.Feedback.UNSATISFIED
    )
    complaint.feedback_note = note
    label = "" if by is not None else "public:complainant"
    heard = _("电话回访：") if by is not None else ""
    if satisfied:
        if complaint.status == S.CLOSED:
            before = complaint_snapshot(complaint)
            complaint.save(update_fields=["feedback", "feedback_note"])
            ComplaintEvent.objects.create(
                complaint=complaint,
                actor=by,
                actor_label=actor_text(by) or _("投诉人"),
                kind="feedback",
                note=heard + _("满意"),
            )
            audit_record(
                actor=by,
                actor_label=label,
                action="complaint.feedback",
                obj=complaint,
                before=before,
                after=complaint_snapshot(complaint),
                source_ip=ip,
            )
            return complaint
        return complaint_move(
            complaint,
            S.CLOSED,
            actor=by,
            actor_label=label,
            kind="feedback_satisfied",
            note=heard + _("投诉人表示满意，办结") + (f"：{note}" if note else ""),
            extra_fields=["feedback", "feedback_note"],
            source_ip=ip,
        )
    complaint.reopen_count += 1
    return complaint_move(
        complaint,
        S.OFFICER_HANDLING,
        actor=by,
        actor_label=label,
        kind="feedback_unsatisfied",
        note=heard + _("投诉人表示不满意，重新办理") + (f"：{note}" if note else ""),
        extra_fields=["feedback", "feedback_note", "reopen_count"],
        source_ip=ip,
    )


@transaction.atomic
def complaint_dismiss(
    *, complaint: Complaint, by: Any, reason: str, source_ip: str | None = None
) -> Complaint:
    """Close a complaint that needs no handling (duplicate, not our remit), with a reason."""
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError("reason_required", _("请填写不予受理/办结的原因。"))
    if complaint.status not in (S.RECEIVED, S.ASSIGNED):
        raise Conflict("bad_transition", _("只有尚未处理的投诉可以直接办结。"))
    complaint.resolution = reason[:2000]
    return complaint_move(
        complaint,
        S.CLOSED,
        actor=by,
        kind="dismiss",
        note=reason,
        extra_fields=["resolution"],
        source_ip=source_ip,
    )


@transaction.atomic
def complaint_note_add(
    *, complaint: Complaint, by: Any, note: str, public: bool, source_ip: str | None = None
) -> ComplaintEvent:
    note = (note or "").strip()
    if not note:
        raise DomainError("note_empty", _("请填写备注内容。"))
    event = ComplaintEvent.objects.create(
        complaint=complaint,
        actor=by,
        actor_label=actor_text(by),
        kind="note",
        note=note[:2000],
        public=public,
    )
    audit_record(
        actor=by,
        action="complaint.note",
        obj=complaint,
        after={"note": note[:2000], "public": public},
        source_ip=source_ip,
    )
    return event
