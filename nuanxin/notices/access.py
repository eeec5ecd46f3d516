"""Who may see which notice: city staff all; an operator's people and tokens only its own."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from nuanxin.bikes.access import operator_ids_for
from nuanxin.core.access import not_found, require_role
from nuanxin.notices.models import Notice

PORTAL_ROLES = ("operator_admin", "maintenance")


def notices_visible(principal: Any) -> QuerySet[Notice]:
    scope = operator_ids_for(principal)
    qs = Notice.objects.select_related(
        "bike",
        "operator",
        "worker",
        "target_spot",
        "check_ref",
        "check_ref__spot",
        "check_ref__spot_version",
    )
    return qs if scope is None else qs.filter(operator_id__in=scope)


def access_notice(principal: Any, number: str) -> Notice:
    notice = notices_visible(principal).filter(number=number).first()
    if notice is None:
        raise not_found()
    return notice


def access_portal(user: Any) -> set[int]:
    """The operator portal is for an operator's admins and maintenance crew only."""
    require_role(user, *PORTAL_ROLES)
    return operator_ids_for(user) or set()


def access_portal_notice(user: Any, number: str) -> Notice:
    scope = access_portal(user)
    notice = notices_visible(user).filter(number=number, operator_id__in=scope).first()
    if notice is None:
        raise not_found()
    return notice
