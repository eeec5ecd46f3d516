"""Who may see which bike and operator. City staff see all; an operator's people only its own.

Out-of-scope objects are 404 (their existence does not leak); roles without the power get 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from nuanxin.accounts.models import ApiToken
from nuanxin.bikes.models import Bike, MaintenanceWorker, Operator
from nuanxin.core.access import STAFF_ROLES, not_found, require_login

OPERATOR_ROLES = ("operator_admin", "maintenance")


def operator_ids_for(principal: Any) -> set[int] | None:
    """None: sees every operator (city staff). Otherwise the operator ids in scope.

    `principal` is a User or an operator ApiToken (request.auth).
    """
    if isinstance(principal, ApiToken):
        if principal.kind == ApiToken.Kind.OPERATOR and principal.operator_id:
            return {principal.operator_id}
        raise PermissionDenied(_("该令牌无权访问车辆登记数据。"))
    user = require_login(principal)
    if user.is_superuser or user.role in STAFF_ROLES:
        return None
    if user.role == "operator_admin":
        return set(user.operators.values_list("pk", flat=True))
    if user.role == "maintenance":
        worker = getattr(user, "maintenance_worker", None)
        return {worker.operator_id} if worker is not None else set()
    raise PermissionDenied(_("您的角色无权查看车辆登记数据。"))


def access_operator(principal: Any, operator_id: int) -> Operator:
    scope = operator_ids_for(principal)
    if scope is not None and operator_id not in scope:
        raise not_found()
    operator = Operator.objects.filter(pk=operator_id).first()
    if operator is None:
        raise not_found()
    return operator


def access_bike(principal: Any, plate: str) -> Bike:
    """A bike by its plate (一车一牌)."""
    scope = operator_ids_for(principal)
    bike = Bike.objects.select_related("operator").filter(plate=plate).first()
    if bike is None:
        raise not_found()
    if scope is not None and bike.operator_id not in scope:
        raise not_found()
    return bike


def operators_visible(principal: Any) -> list[Operator]:
    scope = operator_ids_for(principal)
    qs = Operator.objects.order_by("code")
    return list(qs if scope is None else qs.filter(pk__in=scope))


def workers_visible(principal: Any) -> list[MaintenanceWorker]:
    scope = operator_ids_for(principal)
    qs = MaintenanceWorker.objects.select_related("operator").order_by("operator__code", "name")
    return list(qs if scope is None else qs.filter(operator_id__in=scope))


def access_own_worker(principal: Any) -> MaintenanceWorker:
    """The maintenance worker record of the logged-in maintenance user (403 for anyone else)."""
    user = require_login(principal if not isinstance(principal, ApiToken) else None)
    worker = MaintenanceWorker.objects.select_related("operator", "user").filter(user=user).first()
    if user.role != "maintenance" or worker is None:
        raise PermissionDenied(_("只有运维人员可以上报在岗状态。"))
    return worker


# Who manages an operator's own settings (webhook URL and secret): its admins, no one else.
OPERATOR_ADMIN_ROLES = ("operator_admin",)


def operators_administered(principal: Any) -> list[Operator]:
    """The operators whose settings this user manages: an operator admin's own operators.
    Anyone else (maintenance crew, city staff, a superuser, a token) gets 403."""
    user = require_login(principal if not isinstance(principal, ApiToken) else None)
    if user.role not in OPERATOR_ADMIN_ROLES:
        raise PermissionDenied(_("只有运营企业管理员可以管理本企业的设置。"))
    return list(user.operators.order_by("code"))


def access_operator_administered(principal: Any, code: str) -> Operator:
    """One operator the user administers, by code; another operator is 404."""
    for operator in operators_administered(principal):
        if operator.code == code:
            return operator
    raise not_found()
