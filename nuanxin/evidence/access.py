"""Who may see an evidence item: city-wide roles; officers for items in their district,
that they uploaded, or linked to a case they can see (a case's evidence is part of the case,
wherever the photo was taken). Others (merchants, operators, citizens) never see raw
evidence."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast

from nuanxin.core.access import district_scope_id, not_found, require_staff, sees_whole_city
from nuanxin.evidence.models import EvidenceItem, EvidenceLink


def evidence_visible_to(user: Any) -> QuerySet[EvidenceItem]:
    user = require_staff(user)
    queryset = EvidenceItem.objects.select_related("uploaded_by", "district")
    if sees_whole_city(user):
        return queryset
    scope = district_scope_id(user)
    visible = Q(district_id=scope) | Q(uploaded_by=user)
    if scope is not None:
        visible |= Q(Exists(_links_to_cases_of(scope)))
    return queryset.filter(visible)


def _links_to_cases_of(district_id: int) -> QuerySet[EvidenceLink]:
    """Links of the outer item to a case of the district (subject ids are text)."""
    from nuanxin.cases.models import Case

    case_ids = (
        Case.objects.filter(district_id=district_id)
        .annotate(pk_text=Cast("pk", output_field=CharField()))
        .values("pk_text")
    )
    return EvidenceLink.objects.filter(
        item=OuterRef("pk"),
        subject_type=ContentType.objects.get_for_model(Case),
        subject_id__in=case_ids,
    )


def access_evidence(user: Any, item_id: int | str) -> EvidenceItem:
    try:
        pk = int(item_id)
    except (TypeError, ValueError):
        raise not_found() from None
    item = evidence_visible_to(user).filter(pk=pk).first()
    if item is None:
        raise not_found()
    return item
