"""Who may see a merchant (one helper, tested with every persona)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from nuanxin.core.access import STAFF_ROLES, filter_by_district, not_found, require_login
from nuanxin.merchants.models import Merchant


def access_merchant(user: Any, merchant_id: Any) -> Merchant:
    """Staff see merchants in their district scope; a merchant login only the shops it owns.

    Out of scope → 404 (existence does not leak); a role without the power → 403.
    """
    user = require_login(user)
    try:
        pk = int(merchant_id)
    except (TypeError, ValueError):
        raise not_found() from None
    if user.is_superuser or user.role in STAFF_ROLES:
        merchant = filter_by_district(user, Merchant.objects.all()).filter(pk=pk).first()
    elif user.role == "merchant":
        merchant = Merchant.objects.filter(pk=pk, owners=user).first()
    else:
        raise PermissionDenied(_("您的角色无权查看市场主体。"))
    if merchant is None:
        raise not_found()
    return merchant


def merchants_visible_to(user: Any) -> Any:
    """The queryset a user may list (staff: district scope; merchant: own shops)."""
    user = require_login(user)
    if user.is_superuser or user.role in STAFF_ROLES:
        return filter_by_district(user, Merchant.objects.all())
    if user.role == "merchant":
        return Merchant.objects.filter(owners=user)
    raise PermissionDenied(_("您的角色无权查看市场主体。"))
