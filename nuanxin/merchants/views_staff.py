"""Staff pages under /staff/merchants/: search, detail with timeline, import/export."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from nuanxin.core.access import require_role, require_staff
from nuanxin.core.errors import DomainError
from nuanxin.core.http import client_ip
from nuanxin.credit.selectors import credit_detail, level_choices
from nuanxin.merchants.access import access_merchant
from nuanxin.merchants.excel import merchants_export, merchants_import, merchants_template
from nuanxin.merchants.forms import LicenceForm
from nuanxin.merchants.models import Inspection
from nuanxin.merchants.selectors import (
    LICENCE_STATES,
    MerchantFilters,
    merchant_detail,
    merchant_page,
    merchant_search,
    street_choices,
)
from nuanxin.merchants.services import inspection_record
from nuanxin.merchants.timeline import timeline_for
from nuanxin.orgs.selectors import district_list

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT_ROLES = ("bureau_admin", "chief")
EDIT_ROLES = ("bureau_admin", "chief", "officer")
MAX_UPLOAD = 10 * 1024 * 1024


@login_required
def merchant_list(request: HttpRequest) -> HttpResponse:
    user = require_staff(request.user)
    filters = MerchantFilters.from_params(request.GET)
    page = merchant_page(user=user, filters=filters, page=request.GET.get("page", 1))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "districts": district_list(),
        "streets": street_choices(user=user, district=filters.district),
        "licence_states": LICENCE_STATES.items(),
        "levels": level_choices(),
        "querystring": querystring,
        "can_import": user.is_superuser or user.role in IMPORT_ROLES,
        "today": timezone.localdate(),
        "can_edit": user.is_superuser or user.role in EDIT_ROLES,
    }
    template = (
        "merchants/_results.html" if request.headers.get("HX-Request") else "merchants/list.html"
    )
    return render(request, template, context)


@login_required
def merchant_view(request: HttpRequest, merchant_id: int) -> HttpResponse:
    require_staff(request.user)
    merchant = access_merchant(request.user, merchant_id)
    context = {
        "merchant": merchant,
        **merchant_detail(merchant=merchant),
        "credit": credit_detail(merchant=merchant),
        "timeline": timeline_for(merchant=merchant),
        "results": Inspection.Result.choices,
        "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "can_edit": request.user.is_superuser or request.user.role in EDIT_ROLES,  # type: ignore[union-attr]
        "licence_form": LicenceForm(),
    }
    return render(request, "merchants/detail.html", context)


@login_required
@require_POST
def inspection_new(request: HttpRequest, merchant_id: int) -> HttpResponse:
    user = require_role(request.user, "officer", "chief", "bureau_admin")
    merchant = access_merchant(user, merchant_id)
    at = None
    raw_at = request.POST.get("at", "").strip()
    try:
        if raw_at:
            at = timezone.make_aware(dt.datetime.fromisoformat(raw_at))
        inspection_record(
            merchant=merchant,
            by=user,
            result=request.POST.get("result", ""),
            at=at,
            notes=request.POST.get("notes", ""),
            source_ip=client_ip(request),
        )
    except ValueError:
        messages.error(request, _("检查时间格式错误。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("检查记录已保存。"))
    return redirect("merchants:detail", merchant_id=merchant.pk)


@login_required
@require_http_methods(["GET", "POST"])
def merchant_import_view(request: HttpRequest) -> HttpResponse:
    user = require_role(request.user, *IMPORT_ROLES)
    context: dict = {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = _("请选择要导入的 Excel 文件。")
        elif upload.size and upload.size > MAX_UPLOAD:
            context["error"] = _("文件过大（上限 10 MB）。")
        else:
            result = merchants_import(file=upload, by=user, source_ip=client_ip(request))
            context["result"] = result
            status = 200 if result.ok else 400
            return render(request, "merchants/import.html", context, status=status)
        return render(request, "merchants/import.html", context, status=400)
    return render(request, "merchants/import.html", context)


@login_required
def merchant_export_view(request: HttpRequest) -> HttpResponse:
    user = require_staff(request.user)
    filters = MerchantFilters.from_params(request.GET)
    data = merchants_export(merchants=merchant_search(user=user, filters=filters))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="merchants-{stamp}.xlsx"'
    return response


@login_required
def merchant_template_view(request: HttpRequest) -> HttpResponse:
    require_staff(request.user)
    response = HttpResponse(merchants_template(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="merchants-template.xlsx"'
    return response
