"""Staff pages under /staff/complaints/ and the merchant portal under /portal/complaints/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from nuanxin.core.access import require_role, require_staff, sees_whole_city
from nuanxin.core.errors import DomainError
from nuanxin.core.http import client_ip
from nuanxin.feedback import catalog
from nuanxin.feedback.access import (
    access_complaint,
    access_portal_complaint,
    access_rating,
    can_see_phone,
)
from nuanxin.feedback.models import ComplaintPhoto, ComplaintStatus
from nuanxin.feedback.ports import mask_phone
from nuanxin.feedback.selectors import (
    complaint_counts_by_district,
    complaint_list,
    complaints_for_merchant_user,
    complaints_overdue,
)
from nuanxin.feedback.services import complaints as svc
from nuanxin.feedback.services.intake import INTAKE_ROLES
from nuanxin.feedback.services.ratings import rating_hide

DISPATCH_ROLES = ("dispatcher", "chief", "bureau_admin")
HANDLE_ROLES = ("officer", "chief", "bureau_admin")


@login_required
@require_GET
def complaint_index(request: HttpRequest) -> HttpResponse:
    user = require_staff(request.user)
    status = request.GET.get("status", "open")
    overdue = request.GET.get("overdue") == "1"
    district_id = (
        int(request.GET["district"]) if request.GET.get("district", "").isdigit() else None
    )
    qs = complaint_list(
        user,
        status=status,
        overdue=overdue,
        district_id=district_id,
        query=request.GET.get("q", ""),
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    from nuanxin.orgs.models import District

    return render(
        request,
        "feedback/staff_list.html",
        {
            "page": page,
            "status": status,
            "overdue": overdue,
            "statuses": ComplaintStatus.choices,
            "districts": District.objects.all() if sees_whole_city(user) else [],
            "city_wide": sees_whole_city(user),
            "counts": complaint_counts_by_district(user),
            "categories": {c.code: c.name for c in catalog.categories()},
            "can_intake": user.is_superuser or user.role in INTAKE_ROLES,
        },
    )


@login_required
@require_GET
def complaint_overdue(request: HttpRequest) -> HttpResponse:
    """The dispatcher's board: every overdue complaint city-wide (officers: own district)."""
    user = require_staff(request.user)
    return render(
        request,
        "feedback/staff_overdue.html",
        {
            "rows": complaints_overdue(user)[:500],
            "city_wide": sees_whole_city(user),
            "counts": complaint_counts_by_district(user),
            "categories": {c.code: c.name for c in catalog.categories()},
            "sla": catalog.sla(),
        },
    )


@login_required
@require_GET
def complaint_detail(request: HttpRequest, complaint_id: int) -> HttpResponse:
    complaint = access_complaint(request.user, complaint_id)
    from nuanxin.orgs.models import District

    user: Any = request.user
    show_phone = can_see_phone(request.user, complaint)
    return render(
        request,
        "feedback/staff_detail.html",
        {
            "c": complaint,
            "category": catalog.category_name(complaint.category),
            "events": complaint.events.select_related("actor").order_by("at", "pk"),
            "photos": complaint.photos.all(),
            "phone": complaint.phone if show_phone else mask_phone(complaint.phone),
            "phone_full": show_phone,
            "districts": District.objects.all(),
            "can_dispatch": user.is_superuser or user.role in DISPATCH_ROLES,
            "can_handle": user.is_superuser or user.role in HANDLE_ROLES,
            "is_officer": user.role == "officer",
            "can_callback": (user.is_superuser or user.role in svc.CALLBACK_ROLES)
            and complaint.status in ("awaiting_feedback", "closed")
            and not complaint.feedback,
        },
    )


def _act(
    request: HttpRequest, complaint_id: int, roles: tuple[str, ...], action: Callable[..., Any]
) -> HttpResponse:
    complaint = access_complaint(request.user, complaint_id)
    require_role(request.user, *roles)
    try:
        action(complaint)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已保存。"))
    return redirect("feedback:staff_detail", complaint_id=complaint.pk)


@login_required
@require_POST
def complaint_action(request: HttpRequest, complaint_id: int, action: str) -> HttpResponse:
    ip = client_ip(request)
    user = request.user
    post = request.POST
    handlers: dict[str, tuple[tuple[str, ...], Callable[[Any], Any]]] = {
        "claim": (("officer",), lambda c: svc.complaint_claim(complaint=c, by=user, source_ip=ip)),
        "notify": (
            HANDLE_ROLES,
            lambda c: svc.complaint_notify_merchant(
                complaint=c, by=user, note=post.get("note", ""), source_ip=ip
            ),
        ),
        "handle": (
            HANDLE_ROLES,
            lambda c: svc.complaint_take_over(
                complaint=c, by=user, note=post.get("note", ""), source_ip=ip
            ),
        ),
        "resolve": (
            HANDLE_ROLES,
            lambda c: svc.complaint_resolve(
                complaint=c,
                by=user,
                resolution=post.get("resolution", ""),
                substantiated=post.get("substantiated") == "1",
                source_ip=ip,
            ),
        ),
        "dismiss": (
            (*HANDLE_ROLES, "dispatcher"),
            lambda c: svc.complaint_dismiss(
                complaint=c, by=user, reason=post.get("reason", ""), source_ip=ip
            ),
        ),
        "callback": (
            svc.CALLBACK_ROLES,
            lambda c: svc.complaint_feedback(
                complaint=c,
                satisfied=post.get("satisfied") == "1",
                note=post.get("note", ""),
                ip=ip,
                by=user,
            ),
        ),
        "assign": (DISPATCH_ROLES, lambda c: _assign(c, user, post.get("district", ""), ip)),
        "note": (
            (*HANDLE_ROLES, *DISPATCH_ROLES),
            lambda c: svc.complaint_note_add(
                complaint=c,
                by=user,
                note=post.get("note", ""),
                public=post.get("public") == "1",
                source_ip=ip,
            ),
        ),
    }
    if action not in handlers:
        raise Http404(_("未知操作。"))
    roles, func = handlers[action]
    return _act(request, complaint_id, roles, func)


def _assign(complaint: Any, user: Any, district_id: str, ip: str | None) -> Any:
    from nuanxin.orgs.models import District

    district = District.objects.filter(pk=int(district_id) if district_id.isdigit() else 0).first()
    if district is None:
        raise DomainError("bad_district", _("请选择要分派的中队/辖区。"))
    return svc.complaint_assign(complaint=complaint, district=district, by=user, source_ip=ip)


@login_required
@require_GET
def complaint_photo(
    request: HttpRequest, complaint_id: int, photo_id: int, variant: str
) -> HttpResponseBase:
    """Staff see both copies; the original (with its metadata) is the evidence."""
    complaint = access_complaint(request.user, complaint_id)
    photo = ComplaintPhoto.objects.filter(complaint=complaint, pk=photo_id).first()
    if photo is None or variant not in ("display", "original"):
        raise Http404(_("照片不存在。"))
    if variant == "original":
        return FileResponse(
            default_storage.open(str(photo.original.name), "rb"), content_type=photo.original_type
        )
    return FileResponse(
        default_storage.open(str(photo.display.name), "rb"), content_type="image/jpeg"
    )


@login_required
@require_POST
def rating_hide_view(request: HttpRequest, rating_id: int) -> HttpResponse:
    rating = access_rating(request.user, rating_id)
    require_role(request.user, *HANDLE_ROLES)
    try:
        rating_hide(
            rating=rating,
            by=request.user,
            reason=request.POST.get("reason", ""),
            source_ip=client_ip(request),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        from nuanxin.doorcodes.selectors import scan_summary_invalidate

        scan_summary_invalidate(merchant_id=rating.merchant_id)
        messages.success(request, _("评价已屏蔽。"))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = f"/staff/doorcodes/{rating.merchant_id}/"
    return redirect(target)


# ---- merchant portal ----------------------------------------------------------------------


@login_required
@require_GET
def portal_list(request: HttpRequest) -> HttpResponse:
    user = require_role(request.user, "merchant")
    return render(
        request,
        "feedback/portal_list.html",
        {
            "rows": complaints_for_merchant_user(user)[:200],
            "categories": {c.code: c.name for c in catalog.categories()},
        },
    )


@login_required
def portal_detail(request: HttpRequest, complaint_id: int) -> HttpResponse:
    complaint = access_portal_complaint(request.user, complaint_id)
    if request.method == "POST":
        try:
            svc.complaint_merchant_reply(
                complaint=complaint,
                by=request.user,
                reply=request.POST.get("reply", ""),
                source_ip=client_ip(request),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("答复已提交，执法队员将审核。"))
        return redirect("feedback:portal_detail", complaint_id=complaint.pk)
    return render(
        request,
        "feedback/portal_detail.html",
        {
            "c": complaint,
            "category": catalog.category_name(complaint.category),
            "events": complaint.events.filter(public=True).order_by("at", "pk"),
            "photos": complaint.photos.all(),
            "can_reply": complaint.status == ComplaintStatus.MERCHANT_NOTIFIED,
        },
    )


@login_required
@require_GET
def portal_photo(request: HttpRequest, complaint_id: int, photo_id: int) -> HttpResponseBase:
    complaint = access_portal_complaint(request.user, complaint_id)
    photo = ComplaintPhoto.objects.filter(complaint=complaint, pk=photo_id).first()
    if photo is None:
        raise Http404(_("照片不存在。"))
    return FileResponse(
        default_storage.open(str(photo.display.name), "rb"), content_type="image/jpeg"
    )
