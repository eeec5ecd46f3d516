"""/api/v1/opcredit/: assessments with their explained scores (operators: their own)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from nuanxin.accounts.auth import operator_auth, staff_auth
from nuanxin.opcredit.access import access_assessment, assessments_visible
from nuanxin.opcredit.models import Assessment

router = Router(tags=["opcredit"], auth=[operator_auth, staff_auth])


class AssessmentOut(Schema):
    id: int
    operator: str
    kind: str
    period: str
    period_start: datetime
    period_end: datetime
    score: Decimal
    outcome: str
    outcome_reasons: list[str]
    quota_before: int
    quota_after: int
    rules_version: str
    metrics: dict[str, Any]
    breakdown: list[dict[str, Any]]


def _out(a: Assessment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "operator": a.operator.code,
        "kind": a.kind,
        "period": a.period,
        "period_start": a.period_start,
        "period_end": a.period_end,
        "score": a.score,
        "outcome": a.outcome,
        "outcome_reasons": a.outcome_reasons,
        "quota_before": a.quota_before,
        "quota_after": a.quota_after,
        "rules_version": a.rules_version,
        "metrics": a.metrics,
        "breakdown": a.breakdown,
    }


@router.get("/assessments", response=list[AssessmentOut], summary="企业考核结果")
def assessments_list(request: HttpRequest) -> list[dict[str, Any]]:
    qs = assessments_visible(request.auth)  # type: ignore[attr-defined]
    return [_out(a) for a in qs[:200]]


@router.get("/assessments/{assessment_id}", response=AssessmentOut, summary="一次考核")
def assessments_get(request: HttpRequest, assessment_id: int) -> dict[str, Any]:
    return _out(access_assessment(request.auth, assessment_id))  # type: ignore[attr-defined]
