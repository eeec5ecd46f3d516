"""Public pages: rate and complain from a door code, track a complaint, give feedback."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from nuanxin.core.errors import DomainError
from nuanxin.core.http import client_ip
from nuanxin.doorcodes.selectors import InvalidDoorCode, door_code_resolve
from nuanxin.feedback.catalog import category_name, rating_tags
from nuanxin.feedback.device import device_key, ensure_device_cookie
from nuanxin.feedback.forms import ComplaintForm, FeedbackForm, RatingForm, form_problems
from nuanxin.feedback.models import Complaint, ComplaintPhoto
from nuanxin.feedback.photos import MAX_PHOTOS
from nuanxin.feedback.selectors import complaint_by_tracking
from nuanxin.feedback.services.complaints import complaint_feedback, complaint_submit
from nuanxin.feedback.services.ratings import rating_submit

FEEDBACK_SALT = "nuanxin.feedback.complainant"


def complainant_key(tracking_no: str) -> str:
    """The secret that lets the complainant (and only them) give feedback."""
    return salted_hmac(FEEDBACK_SALT, tracking_no).hexdigest()[:20]


def _code_or_invalid(request: HttpRequest, token: str):  # type: ignore[no-untyped-def]
    try:
        return door_code_resolve(token), None
    except InvalidDoorCode as exc:
        from nuanxin.doorcodes.views import _invalid

        return None, _invalid(request, token, exc)


@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    code, refused = _code_or_invalid(request, token)
    if refused is not None:
        return refused
    merchant = code.merchant
    form = RatingForm(request.POST or None)
    error = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                rating_submit(
                    merchant=merchant,
                    door_code=code,
                    stars=form.cleaned_data["stars"],
                    tags=form.cleaned_data["tags"],
                    text=form.cleaned_data["text"],
                    device_key=device_key(request),
                    ip=client_ip(request),
                )
            except DomainError as exc:
                error, status = exc.message, exc.status_code
            else:
                response = render(
                    request, "feedback/rated.html", {"merchant": merchant, "token": token}
                )
                return ensure_device_cookie(request, response)
        else:
            error, status = _("请检查填写的内容。"), 400
    response = render(
        request,
        "feedback/rate.html",
        {"merchant": merchant, "form": form, "tags": rating_tags(), "error": error, "token": token},
        status=status,
    )
    return ensure_device_cookie(request, response)


@require_http_methods(["GET", "POST"])
def complain(request: HttpRequest, token: str) -> HttpResponse:
    code, refused = _code_or_invalid(request, token)
    if refused is not None:
        return refused
    merchant = code.merchant
    form = ComplaintForm(request.POST or None)
    error = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                complaint = complaint_submit(
                    category=form.cleaned_data["category"],
                    description=form.cleaned_data["description"],
                    source=Complaint.Source.SCAN,
                    merchant=merchant,
                    door_code=code,
                    photos=request.FILES.getlist("photos"),
                    phone=form.cleaned_data["phone"],
                    lat=form.cleaned_data["lat"],
                    lng=form.cleaned_data["lng"],
                    ip=client_ip(request),
                    device_key=device_key(request),
                )
            except DomainError as exc:
                error, status = exc.message, exc.status_code
            else:
                key = complainant_key(complaint.tracking_no)
                response = redirect(f"/c/{complaint.tracking_no}?k={key}&new=1")
                response.set_cookie(
                    f"nx_c_{complaint.tracking_no}",
                    key,
                    max_age=180 * 86400,
                    httponly=True,
                    samesite="Lax",
                    secure=request.is_secure(),
                )
                return response
        else:
            error, status = form_problems(form), 400
    return render(
        request,
        "feedback/complain.html",
        {
            "merchant": merchant,
            "form": form,
            "error": error,
            "token": token,
            "max_photos": MAX_PHOTOS,
        },
        status=status,
    )


@require_GET
def track_lookup(request: HttpRequest) -> HttpResponse:
    number = (request.GET.get("no") or "").strip().upper()
    if number:
        if complaint_by_tracking(number) is not None:
            return redirect(f"/c/{number}")
        return render(
            request,
            "feedback/track_lookup.html",
            {"error": _("未找到该受理编号。"), "number": number},
            status=404,
        )
    return render(request, "feedback/track_lookup.html", {"error": "", "number": ""})


def _is_complainant(request: HttpRequest, complaint: Complaint) -> bool:
    expected = complainant_key(complaint.tracking_no)
    offered = request.GET.get("k") or request.COOKIES.get(f"nx_c_{complaint.tracking_no}", "")
    return bool(offered) and constant_time_compare(offered, expected)


@require_GET
def track(request: HttpRequest, tracking_no: str) -> HttpResponse:
    complaint = complaint_by_tracking(tracking_no)
    if complaint is None:
        raise Http404(_("未找到该受理编号。"))
    is_complainant = _is_complainant(request, complaint)
    response = render(
        request,
        "feedback/track.html",
        {
            "c": complaint,
            "category": category_name(complaint.category),
            "events": complaint.events.filter(public=True).order_by("at", "pk"),
            "photos": list(complaint.photos.all()) if is_complainant else [],
            "is_complainant": is_complainant,
            "can_feedback": is_complainant
            and complaint.status in ("awaiting_feedback", "closed")
            and not complaint.feedback,
            "key": complainant_key(complaint.tracking_no) if is_complainant else "",
            "new": request.GET.get("new") == "1",
        },
    )
    if is_complainant and request.GET.get("k"):
        response.set_cookie(
            f"nx_c_{complaint.tracking_no}",
            request.GET["k"],
            max_age=180 * 86400,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


@require_POST
def track_feedback(request: HttpRequest, tracking_no: str) -> HttpResponse:
    complaint = complaint_by_tracking(tracking_no)
    if complaint is None:
        raise Http404(_("未找到该受理编号。"))
    offered = request.POST.get("k", "")
    if not offered or not constant_time_compare(offered, complainant_key(complaint.tracking_no)):
        return render(
            request,
            "feedback/message.html",
            {"title": _("无法评价"), "message": _("只有投诉人本人可以评价办理结果。")},
            status=403,
        )
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "feedback/message.html",
            {"title": _("无法评价"), "message": _("请选择满意或不满意。")},
            status=400,
        )
    try:
        complaint_feedback(
            complaint=complaint,
            satisfied=form.cleaned_data["satisfied"],
            note=form.cleaned_data["note"],
            ip=client_ip(request),
        )
    except DomainError as exc:
        return render(
            request,
            "feedback/message.html",
            {"title": _("无法评价"), "message": exc.message},
            status=exc.status_code,
        )
    return redirect(f"/c/{complaint.tracking_no}")


@require_GET
def track_photo(request: HttpRequest, tracking_no: str, photo_id: int) -> HttpResponseBase:
    """The EXIF-free display copy, for the complainant only."""
    complaint = complaint_by_tracking(tracking_no)
    if complaint is None or not _is_complainant(request, complaint):
        raise Http404(_("照片不存在。"))
    photo = ComplaintPhoto.objects.filter(complaint=complaint, pk=photo_id).first()
    if photo is None:
        raise Http404(_("照片不存在。"))
    return FileResponse(
        default_storage.open(str(photo.display.name), "rb"), content_type="image/jpeg"
    )
