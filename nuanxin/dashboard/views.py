"""Pages: the operations screen, the rebalancing portal, a notice opened from the map."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from nuanxin.core.access import require_role
from nuanxin.core.errors import DomainError
from nuanxin.dashboard.access import access_dashboard, access_dashboard_notice
from nuanxin.insight.access import (
    CITY_ROLES,
    QUOTA_ROLES,
    access_fleet_run,
    access_rebalance_operator,
    access_rebalance_plan,
    operators_for,
)
from nuanxin.insight.models import FleetSizeRun, RebalancePlan
from nuanxin.insight.services import (
    fleet_quota_apply,
    rebalance_plan_create,
    rebalance_plan_evaluate,
)
from nuanxin.insight.sources import layer_labels
from nuanxin.orgs.models import District


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    own = access_dashboard(request.user)
    from nuanxin.bikes.models import Operator

    return render(
        request,
        "dashboard/screen.html",
        {
            "own_district": own,
            "districts": [own] if own else list(District.objects.all()),
            "operators": list(Operator.objects.order_by("code")),
            "layers": layer_labels(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def rebalance(request: HttpRequest) -> HttpResponse:
    """Operator portal: an operator admin sees (and requests) guidance for its own operator."""
    operators = operators_for(request.user)
    if request.method == "POST":
        ip = request.META.get("REMOTE_ADDR")
        try:
            if request.POST.get("action") == "evaluate":
                plan = access_rebalance_plan(request.user, int(request.POST.get("plan", 0)))
                rebalance_plan_evaluate(plan=plan, by=request.user, source_ip=ip)
            else:
                operator = access_rebalance_operator(
                    request.user, int(request.POST.get("operator", 0))
                )
                rebalance_plan_create(
                    operator=operator,
                    by=request.user,
                    source_ip=ip,
                    trucks=int(request.POST.get("trucks") or 4),
                    truck_capacity=int(request.POST.get("truck_capacity") or 20),
                    window_hours=int(request.POST.get("window_hours") or 2),
                )
        except (DomainError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
        return redirect("dashboard:rebalance")
    plans = (
        RebalancePlan.objects.filter(operator__in=operators)
        .select_related("operator")
        .prefetch_related("moves")[:10]
    )
    return render(request, "dashboard/rebalance.html", {"operators": operators, "plans": plans})


@login_required
def notice_detail(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = access_dashboard_notice(request.user, notice_id)
    fields = []
    for f in notice._meta.concrete_fields:
        if f.name == "payload":
            continue
        display = getattr(notice, f"get_{f.name}_display", None)
        fields.append((f.verbose_name, display() if callable(display) else getattr(notice, f.name)))
    return render(request, "dashboard/notice.html", {"notice": notice, "fields": fields})


@login_required
@require_http_methods(["GET", "POST"])
def fleet_runs(request: HttpRequest) -> HttpResponse:
    """运演 results; a chief or bureau admin applies one to the operators' quotas."""
    user = require_role(request.user, *CITY_ROLES)
    if request.method == "POST":
        run = access_fleet_run(user, int(request.POST.get("run") or 0), apply=True)
        try:
            fleet_quota_apply(run=run, by=user, source_ip=request.META.get("REMOTE_ADDR"))
            messages.success(request, _("已按运演结果更新各企业配额。"))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("dashboard:fleet")
    can_apply = user.is_superuser or user.role in QUOTA_ROLES
    return render(
        request,
        "dashboard/fleet.html",
        {"runs": FleetSizeRun.objects.all()[:20], "can_apply": can_apply},
    )
