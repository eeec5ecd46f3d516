"""Building blocks for the per-kind `access_*` helpers.

Each protected kind of object has exactly one helper in its own app, for example
`nuanxin.merchants.access.access_merchant(user, merchant_id)`. They are built from
the functions below, one condition per line, and are tested with every persona.

An object outside the user's data scope is reported as *not found* (HTTP 404), so
that its existence does not leak; a user whose role lacks the power gets 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from nuanxin.accounts.models import User


CITY_WIDE_ROLES = {"bureau_admin", "chief", "reviewer", "dispatcher", "analyst"}
STAFF_ROLES = CITY_WIDE_ROLES | {"officer"}


def require_login(user: Any) -> User:
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("请先登录。"))
    if not user.is_active:
        raise PermissionDenied(_("账号已停用。"))
    return user


def require_role(user: Any, *roles: str) -> User:
    user = require_login(user)
    if user.is_superuser:
        return user
    if user.role not in roles:
        raise PermissionDenied(_("您的角色无权执行此操作。"))
    return user


def require_staff(user: Any) -> User:
    return require_role(user, *STAFF_ROLES)


def sees_whole_city(user: User) -> bool:
    return bool(user.is_superuser or user.role in CITY_WIDE_ROLES)


def district_scope_id(user: User) -> int | None:
    """The district a user is confined to, or None when they see the whole city."""
    if sees_whole_city(user):
        return None
    if user.district_id is None:
        # An officer without a district sees nothing rather than everything.
        raise PermissionDenied(_("您的账号未分配中队/辖区，请联系管理员。"))
    return user.district_id


def filter_by_district(user: User, queryset: Any, field: str = "district") -> Any:
    scope = district_scope_id(user)
    if scope is None:
        return queryset
    return queryset.filter(**{f"{field}_id": scope})


def not_found() -> Http404:
    return Http404(_("对象不存在或不在您的权限范围内。"))
