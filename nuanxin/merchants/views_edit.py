"""Staff pages that change the registry: register, edit, add a licence (via the services)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from nuanxin.core.access import district_scope_id, require_role
from nuanxin.core.errors import DomainError
from nuanxin.core.http import client_ip
from nuanxin.merchants.access import access_merchant
from nuanxin.merchants.forms import LicenceForm, MerchantForm
from nuanxin.merchants.services import (
    MERCHANT_FIELDS,
    licence_add,
    merchant_create,
    merchant_update,
)
from nuanxin.orgs.selectors import district_for_point

EDIT_ROLES = ("bureau_admin", "chief", "officer")


def _outside_scope(user: Any, data: dict) -> bool:
    """An officer registers or moves shops only inside their own district."""
    scope = district_scope_id(user)
    if scope is None:
        return False
    district = district_for_point(lat=data["lat"], lng=data["lng"])
    return district is not None and district.pk != scope


def _apply_error(form: Any, exc: DomainError) -> None:
    field = exc.details.get("field")
    form.add_error(field if field in form.fields else None, exc.message)


@login_required
@require_http_methods(["GET", "POST"])
def merchant_new(request: HttpRequest) -> HttpResponse:
    user = require_role(request.user, *EDIT_ROLES)
    form = MerchantForm(request.POST or None, initial={"status": "active"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _outside_scope(user, data):
            form.add_error("lat", _("该位置不在您的辖区内。"))
        else:
            try:
                merchant = merchant_create(by=user, source_ip=client_ip(request), **data)
            except DomainError as exc:
                _apply_error(form, exc)
            else:
                messages.success(request, _("已登记。"))
                return redirect("merchants:detail", merchant_id=merchant.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "merchants/form.html", {"form": form, "title": _("登记市场主体")}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def merchant_edit(request: HttpRequest, merchant_id: int) -> HttpResponse:
    user = require_role(request.user, *EDIT_ROLES)
    merchant = access_merchant(user, merchant_id)
    initial = {name: getattr(merchant, name) for name in MERCHANT_FIELDS if name != "district"}
    form = MerchantForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if v != initial.get(k)}
        if ("lat" in changes or "lng" in changes) and _outside_scope(user, form.cleaned_data):
            form.add_error("lat", _("该位置不在您的辖区内。"))
        else:
            try:
                if changes:
                    merchant_update(
                        merchant=merchant, by=user, source_ip=client_ip(request), **changes
                    )
            except DomainError as exc:
                _apply_error(form, exc)
            else:
                messages.success(request, _("已保存。"))
                return redirect("merchants:detail", merchant_id=merchant.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "title": _("修改：%(name)s") % {"name": merchant.name}}
    return render(request, "merchants/form.html", context, status=status)


@login_required
@require_POST
def licence_new(request: HttpRequest, merchant_id: int) -> HttpResponse:
    user = require_role(request.user, *EDIT_ROLES)
    merchant = access_merchant(user, merchant_id)
    form = LicenceForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
        return redirect("merchants:detail", merchant_id=merchant.pk)
    try:
        licence_add(merchant=merchant, by=user, source_ip=client_ip(request), **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("证照已登记。"))
    return redirect("merchants:detail", merchant_id=merchant.pk)
