from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from nuanxin.core.access import require_staff
from nuanxin.core.errors import DomainError
from nuanxin.core.http import client_ip
from nuanxin.doorcodes import render as qr_render
from nuanxin.doorcodes.access import access_door_code_issue, access_door_code_merchant
from nuanxin.doorcodes.models import CounterfeitScan
from nuanxin.doorcodes.selectors import (
    InvalidDoorCode,
    counterfeit_counts_by_cell,
    counterfeit_scans_visible,
    counterfeit_totals,
    door_code_current,
    door_code_is_live,
    door_code_resolve,
    scan_page_cache_key,
    scan_page_get,
    scan_page_put,
    scan_summary,
)
from nuanxin.doorcodes.services import (
    counterfeit_scan_log,
    counterfeit_scan_report,
    door_code_issue,
)

REPORT_SALT = "nuanxin.doorcodes.report"


def _invalid(request: HttpRequest, token: str, exc: InvalidDoorCode) -> HttpResponse:
    scan = counterfeit_scan_log(
        token_text=token,
        reason=exc.reason,
        door_code=exc.door_code,
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
    status = exc.http_status
    return render(
        request,
        "doorcodes/invalid.html",
        {
            "report_token": signing.dumps(scan.pk, salt=REPORT_SALT),
            "revoked": exc.reason == "revoked",
        },
        status=status,
    )


@require_GET
def scan(request: HttpRequest, token: str) -> HttpResponse:
    """The public page a door code opens. No login. Every request checks the code against
    the database (revocation is immediate); the rendered page is cached briefly per code
    and language, since every scan of every plate lands here."""
    merchant_id = door_code_is_live(token)
    if merchant_id is None:
        try:
            door_code_resolve(token)  # the slow path, to name the reason
        except InvalidDoorCode as exc:
            return _invalid(request, token, exc)
    language = get_language() or settings.LANGUAGE_CODE
    key = scan_page_cache_key(merchant_id=merchant_id or 0, token=token, language=language)
    html = scan_page_get(key) if merchant_id else None
    if html is None:
        code = door_code_resolve(token)
        merchant = code.merchant
        html = render_to_string(
            "doorcodes/scan.html",
            {"merchant": merchant, "summary": scan_summary(merchant=merchant), "token": token},
            request=request,
        )
        scan_page_put(key, html)
    response = HttpResponse(html)
    response["Cache-Control"] = "private, no-cache"
    return response


@require_POST
def counterfeit_report(request: HttpRequest) -> HttpResponse:
    """A citizen adds where the invalid plate hangs (from the invalid-code page)."""
    try:
        scan_id = signing.loads(request.POST.get("report", ""), salt=REPORT_SALT, max_age=86400)
        lat = float(request.POST["lat"])
        lng = float(request.POST["lng"])
    except (signing.BadSignature, KeyError, ValueError):
        return render(
            request,
            "doorcodes/reported.html",
            {"error": _("举报信息不完整或已过期，请重新扫码。")},
            status=400,
        )
    scan_row = CounterfeitScan.objects.filter(pk=scan_id).first()
    if scan_row is None:
        return render(
            request, "doorcodes/reported.html", {"error": _("举报记录不存在。")}, status=404
        )
    try:
        counterfeit_scan_report(scan=scan_row, lat=lat, lng=lng, note=request.POST.get("note", ""))
    except DomainError as exc:
        return render(request, "doorcodes/reported.html", {"error": exc.message}, status=400)
    return render(request, "doorcodes/reported.html", {"error": ""})


@require_GET
def baseline(request: HttpRequest) -> HttpResponse:
    """The benchmark's baseline: the cheapest Django view through the same middleware."""
    return HttpResponse(b"ok", content_type="text/plain")


@login_required
def staff_door_code(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = access_door_code_merchant(request.user, merchant_id)
    code = door_code_current(merchant_id=merchant.pk)
    history = merchant.door_codes.order_by("-version")[:20]
    from nuanxin.feedback.selectors import rating_summary, ratings_for_merchant

    user = request.user
    return render(
        request,
        "doorcodes/staff_code.html",
        {
            "merchant": merchant,
            "code": code,
            "history": history,
            "ratings": ratings_for_merchant(merchant_id=merchant.pk, limit=30),
            "rating_summary": rating_summary(merchant_id=merchant.pk),
            "can_moderate": getattr(user, "is_superuser", False)
            or getattr(user, "role", "") in ("officer", "chief", "bureau_admin"),
        },
    )


@login_required
@require_POST
def staff_door_code_issue(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = access_door_code_issue(request.user, merchant_id)
    try:
        door_code_issue(
            merchant=merchant,
            by=request.user,
            reason=request.POST.get("reason", ""),
            source_ip=client_ip(request),
        )
    except DomainError as exc:
        from django.contrib import messages

        messages.error(request, exc.message)
    return redirect("doorcodes:staff_code", merchant_id=merchant.pk)


def _current_or_404(merchant_id: int):  # type: ignore[no-untyped-def]
    from nuanxin.core.access import not_found

    code = door_code_current(merchant_id=merchant_id)
    if code is None:
        raise not_found()
    return code


@login_required
@require_GET
def staff_door_code_png(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = access_door_code_merchant(request.user, merchant_id)
    code = _current_or_404(merchant.pk)
    response = HttpResponse(qr_render.qr_png(code.url), content_type="image/png")
    response["Content-Disposition"] = (
        f'inline; filename="doorcode-{merchant.pk}-v{code.version}.png"'
    )
    return response


@login_required
@require_GET
def staff_door_code_svg(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = access_door_code_merchant(request.user, merchant_id)
    code = _current_or_404(merchant.pk)
    response = HttpResponse(qr_render.qr_svg(code.url), content_type="image/svg+xml")
    response["Content-Disposition"] = (
        f'inline; filename="doorcode-{merchant.pk}-v{code.version}.svg"'
    )
    return response


@login_required
@require_GET
def staff_door_code_pdf(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = access_door_code_merchant(request.user, merchant_id)
    code = _current_or_404(merchant.pk)
    pdf = qr_render.plates_pdf([code])
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="doorplate-{merchant.pk}-v{code.version}.pdf"'
    )
    return response


@login_required
@require_GET
def staff_counterfeits(request: HttpRequest) -> HttpResponse:
    user = require_staff(request.user)
    days = max(1, min(365, int(request.GET.get("days", "90") or 90)))
    if request.GET.get("format") == "json":
        cells = counterfeit_counts_by_cell(user, days=days)
        return JsonResponse(
            {
                "days": days,
                "totals": counterfeit_totals(user, days=days),
                "cells": [
                    {
                        "grid_cell": c.grid_cell,
                        "district": c.district,
                        "scans": c.scans,
                        "hits": c.hits,
                        "lat": c.lat,
                        "lng": c.lng,
                        "last_seen_at": c.last_seen_at.isoformat(),
                    }
                    for c in cells
                ],
            }
        )
    return render(
        request,
        "doorcodes/staff_counterfeits.html",
        {
            "days": days,
            "totals": counterfeit_totals(user, days=days),
            "cells": counterfeit_counts_by_cell(user, days=days),
            "recent": counterfeit_scans_visible(user)[:50],
            "site_root": settings.SITE_ROOT,
        },
    )
