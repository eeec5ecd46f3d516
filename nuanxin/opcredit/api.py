"""/api/v1/opcredit/: assessments with their explained scores (operators: their own)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import Field, Router, Schema

from nuanxin.accounts.auth import operator_auth, staff_auth
from nuanxin.opcredit.access import access_assessment, assessments_visible
from nuanxin.opcredit.models import Assessment
from nuanxin.opcredit.views import assessment_pdf_response

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
    outcome_label: str = Field(description="the outcome in the request's language")
    outcome_reasons: list[str] = Field(
        description="why the outcome, in the request's language (Accept-Language); an "
        "assessment stored before the parameters were kept gives its stored Chinese text"
    )
    outcome_detail: dict[str, Any] = Field(
        description="what the outcome was made of: `reasons` ({code, params}), `reward`, "
        "`cut_score`, `cut_unregistered` (bikes), `devices_cut`, `adjusts_quota`, `low_run`; "
        "{} for assessments stored before these were kept"
    )
    quota_before: int
    quota_after: int
    rules_version: str
    metrics: dict[str, Any]
    breakdown: list[dict[str, Any]] = Field(
        description="one row per metric; `label`, `explain` and `text` in the request's language"
    )
    report_url: str | None = Field(
        description="the PDF report at GET /api/v1/opcredit/assessments/{id}/report.pdf "
        "(same authentication as this API); null when no report has been generated"
    )


def _report_url(a: Assessment) -> str | None:
    return f"/api/v1/opcredit/assessments/{a.pk}/report.pdf" if a.pdf else None


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
        "outcome_label": str(a.get_outcome_display()),
        "outcome_reasons": a.reasons_display(),
        "outcome_detail": a.outcome_detail,
        "quota_before": a.quota_before,
        "quota_after": a.quota_after,
        "rules_version": a.rules_version,
        "metrics": a.metrics,
        "breakdown": a.breakdown_display(),
        "report_url": _report_url(a),
    }


@router.get("/assessments", response=list[AssessmentOut], summary="企业考核结果")
def assessments_list(request: HttpRequest) -> list[dict[str, Any]]:
    qs = assessments_visible(request.auth)  # type: ignore[attr-defined]
    return [_out(a) for a in qs[:200]]


@router.get("/assessments/{assessment_id}", response=AssessmentOut, summary="一次考核")
def assessments_get(request: HttpRequest, assessment_id: int) -> dict[str, Any]:
    return _out(access_assessment(request.auth, assessment_id))  # type: ignore[attr-defined]


@router.get(
    "/assessments/{assessment_id}/report.pdf",
    summary="考核报告PDF",
    description=(
        "The assessment's stored PDF report (application/pdf, inline). An operator token gets "
        "only its own operator's reports, a staff session all; 404 outside that scope or when "
        "no report has been generated. `report_url` in the assessment points here; the same "
        "report is at /assessments/{id}/report.pdf for a browser session."
    ),
    openapi_extra={
        "responses": {
            200: {
                "description": "PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def assessments_report(request: HttpRequest, assessment_id: int) -> FileResponse:
    return assessment_pdf_response(access_assessment(request.auth, assessment_id))  # type: ignore[attr-defined]
