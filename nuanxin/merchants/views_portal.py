"""The merchant portal under /portal/: a merchant login sees only the shops it owns."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from nuanxin.core.access import require_role
from nuanxin.credit.selectors import credit_detail
from nuanxin.merchants.access import access_merchant
from nuanxin.merchants.selectors import merchant_detail, merchant_licence_state, merchants_for_owner
from nuanxin.merchants.timeline import timeline_for


@login_required
def portal_home(request: HttpRequest) -> HttpResponse:
    user = require_role(request.user, "merchant")
    shops = [
        (shop, merchant_licence_state(list(shop.licences.all())))
        for shop in merchants_for_owner(user=user)
    ]
    return render(request, "merchants/portal_home.html", {"shops": shops})


@login_required
def portal_merchant(request: HttpRequest, merchant_id: int) -> HttpResponse:
    user = require_role(request.user, "merchant")
    merchant = access_merchant(user, merchant_id)
    context = {
        "merchant": merchant,
        **merchant_detail(merchant=merchant),
        "credit": credit_detail(merchant=merchant),
        "timeline": timeline_for(merchant=merchant),
    }
    return render(request, "merchants/portal_detail.html", context)
