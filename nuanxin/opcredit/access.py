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
