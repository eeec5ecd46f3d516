"""Access helpers for violations, slips and parties (one per protected kind)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from nuanxin.core.access import filter_by_district, not_found, require_staff
from nuanxin.violations.models import Party, Slip, Violation


def violations_visible(user: Any) -> Any:
    """Violations the staff user may see: their district's, or all for city-wide roles."""
    user = require_staff(user)
    return filter_by_district(user, Violation.objects.all())


def access_violation(user: Any, violation_id: Any) -> Violation:
    qs = violations_visible(user).select_related(
        "party", "tag", "tag__catalogue", "district", "recorded_by"
    )
    try:
        return qs.get(pk=int(violation_id))
    except (Violation.DoesNotExist, TypeError, ValueError):
        raise not_found() from None


def access_slip(user: Any, number: str) -> Slip:
    """A slip by its number, if the user may see its violation."""
    user = require_staff(user)
    slip = (
        Slip.objects.select_related("violation", "bureau")
        .filter(number=number, violation__in=violations_visible(user))
        .first()
    )
    if slip is None:
        raise not_found()
    return slip


def access_party(user: Any, party_id: Any) -> Party:
    """A party is visible to staff who see it: city-wide roles, or an officer whose district
    the party belongs to or has a violation in."""
    user = require_staff(user)
    try:
        party = Party.objects.select_related("merchant", "district").get(pk=int(party_id))
    except (Party.DoesNotExist, TypeError, ValueError):
        raise not_found() from None
    scope_ok = (
        filter_by_district(user, Party.objects.filter(pk=party.pk)).exists()
        or violations_visible(user).filter(party=party).exists()
    )
    if not scope_ok:
        raise not_found()
    return party


RECORDER_ROLES = frozenset({"officer", "dispatcher", "chief", "bureau_admin"})


def may_record(user: Any) -> bool:
    """Whether `user` may record violations (the list offers the form only to them)."""
    return bool(user.is_superuser or getattr(user, "role", "") in RECORDER_ROLES)


def require_recorder(user: Any) -> Any:
    user = require_staff(user)
    if not may_record(user):
        raise PermissionDenied(_("您的角色无权记录违法行为。"))
    return user
