"""/staff/complaints/new/: staff enter a complaint received by phone or in person."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from nuanxin.core.access import require_role
from nuanxin.core.errors import DomainError
from nuanxin.core.http import client_ip
from nuanxin.feedback.forms import StaffComplaintForm, form_problems
from nuanxin.feedback.photos import MAX_PHOTOS
from nuanxin.feedback.services.intake import INTAKE_ROLES, complaint_register
from nuanxin.merchants.access import access_merchant
from nuanxin.merchants.selectors import MerchantFilters, merchant_search


@login_required
@require_http_methods(["GET", "POST"])
def complaint_new(request: HttpRequest) -> HttpResponse:
    user = require_role(request.user, *INTAKE_ROLES)
    form = StaffComplaintForm(request.POST or None)
    merchant = None
    error = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["merchant"]:
                    merchant = _chosen_merchant(user, data["merchant"])
                complaint = complaint_register(
                    by=user,
                    channel=data["channel"],
                    category=data["category"],
                    description=data["description"],
                    merchant=merchant,
                    lat=data["lat"],
                    lng=data["lng"],
                    address=data["address"],
                    phone=data["phone"],
                    contact_name=data["contact_name"],
                    photos=request.FILES.getlist("photos"),
                    source_ip=client_ip(request),
                )
            except DomainError as exc:
                error, status = exc.message, exc.status_code
            else:
                messages.success(
                    request,
                    _("已登记，受理编号 %(no)s，请告知投诉人。") % {"no": complaint.tracking_no},
                )
                return redirect("feedback:staff_detail", complaint_id=complaint.pk)
        else:
            error, status = form_problems(form), 400
    return render(
        request,
        "feedback/staff_new.html",
        {"form": form, "error": error, "merchant": merchant, "max_photos": MAX_PHOTOS},
        status=status,
    )


def _chosen_merchant(user: object, merchant_id: int) -> object:
    try:
        return access_merchant(user, merchant_id)
    except Http404:
        raise DomainError(
            "merchant_not_found", _("所选商户不存在或不在您的辖区内，请重新搜索。")
        ) from None


@login_required
@require_GET
def complaint_new_merchants(request: HttpRequest) -> HttpResponse:
    """The htmx merchant search behind the form: merchants the user may see, by name or
    credit code."""
    user = require_role(request.user, *INTAKE_ROLES)
    query = request.GET.get("merchant_q", "").strip()[:60]
    rows = merchant_search(user=user, filters=MerchantFilters(q=query))[:20] if query else []
    return render(request, "feedback/_merchant_choices.html", {"rows": rows, "query": query})
