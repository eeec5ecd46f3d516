"""Who may see which insight/dashboard data. One helper per protected kind."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from nuanxin.core.access import district_scope_id, not_found, require_login, require_role

MAP_ROLES = ("bureau_admin", "chief", "dispatcher", "analyst", "officer")
CITY_ROLES = ("bureau_admin", "chief", "dispatcher", "analyst")
QUOTA_ROLES = ("bureau_admin", "chief")


def access_city_view(user: Any) -> int | None:
    """Heat maps and the operations dashboard: the district a user is confined to, or None.

    Dispatchers, analysts, chiefs and admins see the whole city; officers their district.
    """
    user = require_role(user, *MAP_ROLES)
    return district_scope_id(user)


def access_rebalance_operator(user: Any, operator_id: int) -> Any:
    """The operator whose rebalancing guidance `user` may see: its own admins, or city staff."""
    from nuanxin.bikes.models import Operator

    user = require_login(user)
    operator = Operator.objects.filter(pk=operator_id).first()
    if operator is None:
        raise not_found()
    if user.is_superuser or user.role in CITY_ROLES:
        return operator
    if user.role == "operator_admin":
        if operator.members.filter(pk=user.pk).exists():
            return operator
        raise not_found()
    raise PermissionDenied(_("您的角色无权查看调度建议。"))


def operators_for(user: Any) -> list[Any]:
    """Operators whose guidance the user may see (an operator admin: only its own)."""
    from nuanxin.bikes.models import Operator

    user = require_login(user)
    if user.is_superuser or user.role in CITY_ROLES:
        return list(Operator.objects.order_by("code"))
    if user.role == "operator_admin":
        return list(user.operators.order_by("code"))
    raise PermissionDenied(_("您的角色无权查看调度建议。"))


def access_rebalance_plan(user: Any, plan_id: int) -> Any:
    from nuanxin.insight.models import RebalancePlan

    plan = RebalancePlan.objects.filter(pk=plan_id).select_related("operator").first()
    if plan is None:
        raise not_found()
    access_rebalance_operator(user, plan.operator_id)
    return plan


def access_fleet_run(user: Any, run_id: int, *, apply: bool = False) -> Any:
    from nuanxin.insight.models import FleetSizeRun

    roles = QUOTA_ROLES if apply else CITY_ROLES
    require_role(user, *roles)
    run = FleetSizeRun.objects.filter(pk=run_id).first()
    if run is None:
        raise not_found()
    return run
