"""Who may see and act on a case. One helper per protected kind (architecture.md)."""

from __future__ import annotations

from typing import Any

from nuanxin.cases.models import Case
from nuanxin.core.access import district_scope_id, not_found, require_role

CASE_ROLES = ("officer", "reviewer", "chief", "dispatcher", "bureau_admin", "analyst")


def access_case(user: Any, case_id: int) -> Case:
    """The case, if `user` may see it: officers their own district, review/command city-wide."""
    user = require_role(user, *CASE_ROLES)
    scope = district_scope_id(user)
    queryset = Case.objects.select_related("district", "bureau", "lead_officer", "second_officer")
    if scope is not None:
        queryset = queryset.filter(district_id=scope)
    case = queryset.filter(pk=case_id).first()
    if case is None:
        raise not_found()
    return case


def cases_visible_to(user: Any) -> Any:
    user = require_role(user, *CASE_ROLES)
    scope = district_scope_id(user)
    queryset = Case.objects.select_related("district", "lead_officer", "second_officer")
    return queryset if scope is None else queryset.filter(district_id=scope)


def access_party_record(user: Any, party_id: int) -> Any:
    """A party's life-cycle record: officers see parties of their district (by the party's
    district, its merchant's district, or a case in their district); others city-wide."""
    from django.db.models import Q

    from nuanxin.violations.models import Party

    user = require_role(user, *CASE_ROLES)
    scope = district_scope_id(user)
    queryset = Party.objects.select_related("merchant", "operator")
    if scope is not None:
        queryset = queryset.filter(
            Q(district_id=scope) | Q(merchant__district_id=scope) | Q(cases__district_id=scope)
        ).distinct()
    party = queryset.filter(pk=party_id).first()
    if party is None:
        raise not_found()
    return party
