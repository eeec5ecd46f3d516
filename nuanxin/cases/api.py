"""/api/v1/cases/: cases, approval actions, the consistency report and party timelines."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from nuanxin.accounts.auth import staff_auth
from nuanxin.cases import report as report_mod
from nuanxin.cases import services
from nuanxin.cases.access import access_case, access_party_record, cases_visible_to
from nuanxin.cases.models import Case
from nuanxin.cases.timeline import party_summary, party_timeline, timeline_pdf
from nuanxin.core.access import require_role
from nuanxin.core.http import client_ip


def _auth(request: HttpRequest) -> Any:
    """The authenticated user or token django-ninja put on the request."""
    return getattr(request, "auth", None)


router = Router(tags=["cases"])
REPORT_ROLES = ("reviewer", "chief", "dispatcher", "analyst", "bureau_admin", "officer")


class CaseOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    procedure: str
    district: str
    party_id: int | None
    party_name: str
    tag_code: str
    tag_name: str
    proposed_level: str
    level: str
    fine_amount: str
    departure_flagged: bool
    departure_reason: str
    filed_on: dt.date
    decision_due: dt.date
    deadline_level: str
    statement_due: dt.date | None
    served_on: dt.date | None
    payment_due: dt.date | None
    outstanding: str | None


def _out(case: Case) -> CaseOut:
    clock = case.decision_clock()
    return CaseOut(
        id=case.pk,
        number=case.number,
        status=case.status,
        status_label=str(case.get_status_display()),
        procedure=case.procedure,
        district=case.district.name,
        party_id=case.party_id,
        party_name=case.party_name,
        tag_code=case.tag_code,
        tag_name=case.tag_name,
        proposed_level=case.proposed_level,
        level=case.level,
        fine_amount=f"{case.fine_amount:.2f}",
        departure_flagged=case.departure_flagged,
        departure_reason=case.departure_reason,
        filed_on=case.filed_on,
        decision_due=case.decision_due,
        deadline_level=clock.level,
        statement_due=case.statement_due,
        served_on=case.served_on,
        payment_due=case.payment_due,
        outstanding=f"{case.amount_outstanding(clock.due):.2f}" if case.served_on else None,
    )


@router.get("/", response=list[CaseOut], auth=staff_auth)
def case_list(request: HttpRequest, status: str = "", limit: int = 100) -> list[CaseOut]:
    queryset = cases_visible_to(_auth(request))
    if status:
        queryset = queryset.filter(status=status)
    return [_out(c) for c in queryset.prefetch_related("payments")[: max(1, min(limit, 500))]]


class ApproveIn(Schema):
    approve: bool = True
    opinion: str = ""


class ReviewIn(Schema):
    passed: bool
    opinion: str


@router.get("/report", auth=staff_auth)
def consistency(
    request: HttpRequest,
    start: dt.date | None = None,
    end: dt.date | None = None,
    district: int | None = None,
) -> dict[str, Any]:
    args = _report_args(request, start, end, district)
    return report_mod.consistency_report(**args).as_dict()


@router.get("/report.xlsx", auth=staff_auth)
def consistency_xlsx(
    request: HttpRequest,
    start: dt.date | None = None,
    end: dt.date | None = None,
    district: int | None = None,
) -> HttpResponse:
    report = report_mod.consistency_report(**_report_args(request, start, end, district))
    response = HttpResponse(
        report_mod.report_xlsx(report),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="discretion-consistency.xlsx"'
    return response


def _report_args(
    request: HttpRequest, start: dt.date | None, end: dt.date | None, district: int | None
) -> dict[str, Any]:
    user = require_role(_auth(request), *REPORT_ROLES)
    today = dt.date.today()
    if user.role == "officer":
        district = user.district_id
    return {
        "start": start or today.replace(month=1, day=1),
        "end": end or today,
        "district_id": district,
    }


class TimelineEntryOut(Schema):
    at: dt.datetime
    kind: str
    title: str
    detail: str
    url: str


class TimelineOut(Schema):
    party_id: int
    name: str
    kind: str
    summary: dict[str, Any]
    entries: list[TimelineEntryOut]


@router.get("/parties/{party_id}/timeline", response=TimelineOut, auth=staff_auth)
def party_timeline_get(request: HttpRequest, party_id: int) -> TimelineOut:
    party = access_party_record(_auth(request), party_id)
    entries = party_timeline(party)
    return TimelineOut(
        party_id=party.pk,
        name=party.name,
        kind=party.kind,
        summary=party_summary(party),
        entries=[
            TimelineEntryOut(at=e.at, kind=e.kind, title=str(e.title), detail=e.detail, url=e.url)
            for e in entries
        ],
    )


@router.get("/parties/{party_id}/timeline.pdf", auth=staff_auth)
def party_timeline_pdf(request: HttpRequest, party_id: int) -> HttpResponse:
    party = access_party_record(_auth(request), party_id)
    response = HttpResponse(
        timeline_pdf(party, party_timeline(party)), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="party-{party.pk}-timeline.pdf"'
    return response


@router.get("/{case_id}", response=CaseOut, auth=staff_auth)
def case_get(request: HttpRequest, case_id: int) -> CaseOut:
    return _out(access_case(_auth(request), case_id))


@router.post("/{case_id}/approve", response=CaseOut, auth=staff_auth)
def case_approve(request: HttpRequest, case_id: int, payload: ApproveIn) -> CaseOut:
    case = access_case(_auth(request), case_id)
    case = services.case_approve(
        case=case,
        by=_auth(request),
        approve=payload.approve,
        opinion=payload.opinion,
        source_ip=client_ip(request),
    )
    return _out(case)


@router.post("/{case_id}/review", response=CaseOut, auth=staff_auth)
def case_review(request: HttpRequest, case_id: int, payload: ReviewIn) -> CaseOut:
    case = access_case(_auth(request), case_id)
    case = services.case_review(
        case=case,
        by=_auth(request),
        passed=payload.passed,
        opinion=payload.opinion,
        source_ip=client_ip(request),
    )
    return _out(case)
