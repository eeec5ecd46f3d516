"""The operator portal (/operator/): notices, dispatch and the worker's fix report."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nuanxin.bikes.models import Operator
from nuanxin.core.errors import DomainError
from nuanxin.core.nav import offered
from nuanxin.notices.access import access_portal, access_portal_notice, notices_visible
from nuanxin.notices.models import Notice
from nuanxin.notices.selectors import open_first_mine
from nuanxin.notices.services import notice_fix_report


@login_required
def portal_home(request: HttpRequest) -> HttpResponse:
    scope = access_portal(request.user)
    qs = notices_visible(request.user).filter(operator_id__in=scope)
    status = request.GET.get("status") or ""
    if status in Notice.Status.values:
        qs = qs.filter(status=status)
    worker = getattr(request.user, "maintenance_worker", None)
    context = {
        "operators": Operator.objects.filter(pk__in=scope),
        "open_notices": open_first_mine(qs.filter(status=Notice.Status.OPEN), worker)[:200],
        "recent": qs.exclude(status=Notice.Status.OPEN).order_by("-closed_at", "-pk")[:50],
        "status": status,
        "worker": worker,
        "links": offered(
            request.user,
            "/assessments/",
            "/dashboard/rebalance/",
            "/operator/webhook/",
            "/api/v1/docs",
        ),
    }
    return render(request, "notices/portal_home.html", context)


@login_required
def portal_notice(request: HttpRequest, number: str) -> HttpResponse:
    notice = access_portal_notice(request.user, number)
    context = notice_page(notice)
    penalty = context["penalty"]
    if penalty is not None and penalty.delivery_id:
        # The operator opens its served decision where the e-service link leads (opening it
        # there is what the service record logs; staff pages never link it).
        from nuanxin.deliveries.models import Delivery
        from nuanxin.deliveries.services import open_link

        delivery = Delivery.objects.filter(pk=penalty.delivery_id).first()
        if delivery is not None:
            context["service_url"] = open_link(delivery)
    return render(request, "notices/portal_notice.html", context)


def notice_page(notice: Notice, *, staff: bool = False) -> dict:
    """The notice page's context, for the operator portal and (`staff`) for city staff."""
    return {
        "notice": notice,
        "staff": staff,
        "explanation": notice.check_ref.explanation(),
        "penalty": getattr(notice, "penalty", None)
        if notice.status == Notice.Status.PENALISED
        else None,
    }


@login_required
@require_POST
def portal_fix_report(request: HttpRequest, number: str) -> HttpResponse:
    notice = access_portal_notice(request.user, number)
    try:
        notice_fix_report(
            notice=notice,
            by=request.user,
            photo=request.FILES.get("photo"),
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已上报整改，系统将根据车辆最新定位或挪车事件自动确认。"))
    return redirect("notices:portal_notice", number=notice.number)
