"""Who may see which assessment: city staff all; an operator only its own."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from nuanxin.bikes.access import operator_ids_for
from nuanxin.core.access import not_found
from nuanxin.opcredit.models import Assessment


def assessments_visible(principal: Any) -> QuerySet[Assessment]:
    scope = operator_ids_for(principal)
    qs = Assessment.objects.select_related("operator")
    return qs if scope is None else qs.filter(operator_id__in=scope)


def access_assessment(principal: Any, assessment_id: int) -> Assessment:
    a = assessments_visible(principal).filter(pk=assessment_id).first()
    if a is None:
        raise not_found()
    return a


def assessment_search(
    principal: Any, *, operator: str = "", kind: str = ""
) -> QuerySet[Assessment]:
    """The visible assessments, optionally of one operator (by code) and kind; newest first."""
    qs = assessments_visible(principal)
    if operator:
        qs = qs.filter(operator__code=operator)
    if kind in Assessment.Kind.values:
        qs = qs.filter(kind=kind)
    return qs.order_by("-period_end", "-period_start", "operator__code", "-pk")
