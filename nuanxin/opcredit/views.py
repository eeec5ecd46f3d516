"""Assessment pages (/assessments/): operators read their own, city staff all; the PDF report."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from nuanxin.bikes.access import operators_visible
from nuanxin.opcredit.access import access_assessment, assessment_search
from nuanxin.opcredit.models import Assessment

PER_PAGE = 50


def assessment_pdf_response(assessment: Assessment) -> FileResponse:
    """The stored PDF report, shown inline; 404 when the assessment has none (or it is gone)."""
    missing = Http404(_("该考核没有已生成的PDF报告。"))
    name = assessment.pdf.name
    if not name:
        raise missing
    try:
        handle = assessment.pdf.storage.open(name, "rb")
    except OSError as exc:
        raise missing from exc
    filename = f"{assessment.operator.code}-{assessment.kind}-{assessment.period}.pdf"
    response = FileResponse(handle, content_type="application/pdf", filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def assessment_list(request: HttpRequest) -> HttpResponse:
    operators = operators_visible(request.user)
    notes: list[str] = []
    operator = request.GET.get("operator", "").strip()
    if operator and operator not in {op.code for op in operators}:
        notes.append(
            _("未知的运营企业代码“%(value)s”，已显示全部企业。") % {"value": operator[:32]}
        )
        operator = ""
    kind = request.GET.get("kind", "").strip()
    if kind and kind not in Assessment.Kind.values:
        notes.append(_("未知的考核类型“%(value)s”，已显示全部类型。") % {"value": kind[:20]})
        kind = ""
    qs = assessment_search(request.user, operator=operator, kind=kind)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "opcredit/assessment_list.html",
        {
            "page": page,
            "notes": notes,
            "operators": operators,
            "kinds": Assessment.Kind.choices,
            "operator": operator,
            "kind": kind,
        },
    )


@login_required
@require_GET
def assessment_detail(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = access_assessment(request.user, assessment_id)
    return render(request, "opcredit/assessment_detail.html", {"a": assessment})


@login_required
@require_GET
def assessment_report(request: HttpRequest, assessment_id: int) -> HttpResponse | FileResponse:
    assessment = access_assessment(request.user, assessment_id)
    try:
        return assessment_pdf_response(assessment)
    except Http404 as exc:  # the assessment's page, saying why there is no report
        context = {"a": assessment, "report_missing": str(exc)}
        return render(request, "opcredit/assessment_detail.html", context, status=404)
