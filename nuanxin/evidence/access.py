"""Who may see an evidence item: city-wide roles; officers for items in their district
or that they uploaded. Others (merchants, operators, citizens) never see raw evidence."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from nuanxin.core.access import district_scope_id, not_found, require_staff, sees_whole_city
from nuanxin.evidence.models import EvidenceItem


def evidence_visible_to(user: Any) -> QuerySet[EvidenceItem]:
    user = require_staff(user)
    queryset = EvidenceItem.objects.select_related("uploaded_by", "district")
    if sees_whole_city(user):
        return queryset
    scope = district_scope_id(user)
    return queryset.filter(Q(district_id=scope) | Q(uploaded_by=user))


def access_evidence(user: Any, item_id: int | str) -> EvidenceItem:
    try:
        pk = int(item_id)
    except (TypeError, ValueError):
        raise not_found() from None
    item = evidence_visible_to(user).filter(pk=pk).first()
    if item is None:
        raise not_found()
    return item
