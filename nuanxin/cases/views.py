"""Staff pages for cases: mobile-first, htmx for in-place actions. Thin: services do the work."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from nuanxin.accounts.models import User
from nuanxin.cases import report as report_mod
from nuanxin.cases import services
from nuanxin.cases.access import access_case, access_party_record, cases_visible_to
from nuanxin.cases.models import Case, CaseStatus
from nuanxin.cases.selectors import AWAITING_CHIEF, case_detail_context
from nuanxin.cases.services.common import PartyInfo
from nuanxin.cases.timeline import party_summary, party_timeline, timeline_pdf
from nuanxin.core.access import require_role
from nuanxin.core.errors import DomainError
from nuanxin.core.http import client_ip


def _ip(request: HttpRequest) -> str | None:
    return client_ip(request)


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    queryset = cases_visible_to(request.user)
    status = request.GET.get("status", "")
    if status in CaseStatus.values:
        queryset = queryset.filter(status=status)
    user: Any = request.user
    if user.role == "chief" and request.GET.get("todo"):
        queryset = queryset.filter(AWAITING_CHIEF)
    today = timezone.localdate()
    cases = list(queryset[:200])
    return render(
        request,
        "cases/list.html",
        {
            "cases": [(c, c.decision_clock(today)) for c in cases],
            "statuses": CaseStatus.choices,
            "status": status,
        },
    )


def _officers_for(user: Any) -> list[Any]:
    queryset = User.objects.filter(role="officer", is_active=True).exclude(badge_no="")
    if user.district_id:
        queryset = queryset.filter(district_id=user.district_id)
    return list(queryset.exclude(pk=user.pk).order_by("username"))


def _violation(request: HttpRequest) -> Any:
    raw = request.GET.get("violation") or request.POST.get("violation")
    if not raw:
        return None
    from nuanxin.violations.access import access_violation

    return access_violation(request.user, raw)


def _party_from_post(request: HttpRequest, violation: Any) -> Any:
    if violation is not None:
        return violation.party
    merchant_id = request.POST.get("merchant_id", "").strip()
    if merchant_id:
        from nuanxin.merchants.models import Merchant

        merchant = Merchant.objects.filter(pk=merchant_id).first()
        if merchant is None:
            raise DomainError("merchant", _("未找到该市场主体。"))
        return merchant
    return PartyInfo(
        kind=request.POST.get("party_kind", "person"),
        name=request.POST.get("party_name", "").strip(),
        id_number=request.POST.get("party_id_number", "").strip(),
        address=request.POST.get("party_address", "").strip(),
        phone=request.POST.get("party_phone", "").strip(),
    )


def _discretion_facts(violation: Any) -> dict[str, Any]:
    if violation is None:
        return {}
    facts = dict(violation.facts or {})
    facts.setdefault("prior_count_in_window", violation.prior_count)
    return facts


@login_required
@require_http_methods(["GET", "POST"])
def case_new(request: HttpRequest, procedure: str = "ordinary") -> HttpResponse:
    """File a case (or decide on the spot) from a violation proposal, on a phone."""
    user = require_role(request.user, "officer")
    violation = _violation(request)
    error = ""
    proposal = None
    data: dict[str, Any] = dict(request.POST.items()) if request.method == "POST" else {}
    tag_code = (
        (violation.tag_code if violation else "")
        or data.get("tag_code", "")
        or (request.GET.get("tag", ""))
    )
    try:
        party_for_proposal = (
            violation.party
            if violation
            else PartyInfo(kind=data.get("party_kind", "person"), name="-")
        )
        if tag_code:
            proposal = services.case_propose(
                tag_code=tag_code, party=party_for_proposal, facts=_discretion_facts(violation)
            )
    except DomainError as exc:
        error = exc.message
    if request.method == "POST" and proposal is not None and not error:
        try:
            second = User.objects.filter(pk=data.get("second_officer") or 0).first()
            fine = data.get("fine_amount", "").strip() or None
            occurred = violation.occurred_at if violation else timezone.now()
            kwargs = {
                "by": user,
                "second_officer": second,
                "party": _party_from_post(request, violation),
                "proposal": proposal,
                "facts": data.get("facts", ""),
                "place": (violation.place if violation else data.get("place", "")),
                "occurred_at": occurred,
                "level": data.get("level") or None,
                "fine_amount": fine,
                "warning_only": data.get("warning_only") == "on",
                "departure_reason": data.get("departure_reason", ""),
                "violation": violation,
                "source_ip": _ip(request),
            }
            if procedure == "simple":
                case = services.case_decide_onspot(**kwargs)
            else:
                case = services.case_file(**kwargs)
            return redirect("cases:detail", case_id=case.pk)
        except DomainError as exc:
            error = exc.message
    default_facts = ""
    if violation is not None:
        default_facts = _("%(time)s，当事人%(party)s在%(place)s%(tag)s。") % {
            "time": timezone.localtime(violation.occurred_at).strftime("%Y年%m月%d日%H时%M分"),
            "party": violation.party.name,
            "place": violation.place,
            "tag": violation.tag.name,
        }
    return render(
        request,
        "cases/new.html",
        {
            "procedure": procedure,
            "violation": violation,
            "proposal": proposal,
            "officers": _officers_for(user),
            "data": data,
            "default_facts": data.get("facts", default_facts),
            "tag_code": tag_code,
            "levels": Case.Level.choices,
            "error": error,
            "limits": services.ONSPOT_LIMITS,
            "tags": _tag_choices() if violation is None else [],
        },
        status=400 if error and request.method == "POST" else 200,
    )


def _tag_choices() -> list[Any]:
    """Every behaviour tag of the catalogue in force, for the form's suggestion list."""
    from nuanxin.laws.selectors import tag_search

    try:
        return list(tag_search("", limit=200))
    except DomainError:  # no catalogue loaded yet
        return []


@login_required
def case_onspot(request: HttpRequest) -> HttpResponse:
    return case_new(request, procedure="simple")


@login_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = access_case(request.user, case_id)
    template = "cases/_panel.html" if request.headers.get("HX-Request") else "cases/detail.html"
    return render(request, template, case_detail_context(case, request.user))


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError as exc:
        raise DomainError("bad_date", _("日期格式不正确：%s") % value) from exc


def _money(value: str) -> Decimal | None:
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise DomainError("bad_amount", _("金额格式不正确：%s") % value) from exc


ACTIONS = {
    "approve": lambda c, u, p, ip: services.case_approve(
        case=c,
        by=u,
        approve=p.get("decision", "approve") == "approve",
        opinion=p.get("opinion", ""),
        source_ip=ip,
    ),
    "submit_review": lambda c, u, p, ip: services.case_submit_review(
        case=c, by=u, summary=p.get("summary", ""), source_ip=ip
    ),
    "review": lambda c, u, p, ip: services.case_review(
        case=c,
        by=u,
        passed=p.get("decision") == "pass",
        opinion=p.get("opinion", ""),
        source_ip=ip,
    ),
    "notify": lambda c, u, p, ip: services.case_notify(
        case=c, by=u, served_on=_date(p.get("served_on", "")), source_ip=ip
    ),
    "statement": lambda c, u, p, ip: services.case_record_statement(
        case=c,
        by=u,
        kind=p.get("kind", "statement"),
        content=p.get("content", ""),
        received_on=_date(p.get("received_on", "")),
        source_ip=ip,
    ),
    "decide": lambda c, u, p, ip: services.case_decide(
        case=c, by=u, fine_amount=_money(p.get("fine_amount", "")), source_ip=ip
    ),
    "serve": lambda c, u, p, ip: services.case_serve(
        case=c,
        by=u,
        served_on=_date(p.get("served_on", "")) or timezone.localdate(),
        method="paper",
        source_ip=ip,
    ),
    "payment": lambda c, u, p, ip: services.case_record_payment(
        case=c,
        by=u,
        amount=p.get("amount", ""),
        channel=p.get("channel", "bank"),
        paid_on=_date(p.get("paid_on", "")) or timezone.localdate(),
        receipt_no=p.get("receipt_no", ""),
        source_ip=ip,
    ),
    "remind": lambda c, u, p, ip: services.case_remind(case=c, by=u, source_ip=ip),
    "close": lambda c, u, p, ip: services.case_close(
        case=c, by=u, reason=p.get("reason", ""), source_ip=ip
    ),
    "withdraw": lambda c, u, p, ip: services.case_withdraw(
        case=c, by=u, reason=p.get("reason", ""), source_ip=ip
    ),
    "no_penalty": lambda c, u, p, ip: services.case_no_penalty(
        case=c, by=u, reason=p.get("reason", ""), source_ip=ip
    ),
    "send": lambda c, u, p, ip: _send_decision(c, u, ip),
}


def _send_decision(case: Case, user: Any, ip: str | None) -> Any:
    """Serve the latest decision or notice electronically (paper if no consent)."""
    from nuanxin.deliveries.services import delivery_send
    from nuanxin.documents.models import Document

    if user.pk not in case.officers():
        raise PermissionDenied(_("您不是本案的承办人员。"))
    link = case.documents.filter(doc_type__in=["penalty_decision", "prior_notice"]).last()
    if link is None or case.party is None:
        raise DomainError("no_document", _("本案尚无可送达的文书。"))
    document = Document.objects.get(pk=link.document_id)
    return delivery_send(document=document, party=case.party, by=user, case=case, source_ip=ip)


@login_required
@require_POST
def case_act(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    case = access_case(request.user, case_id)
    handler = ACTIONS.get(action)
    if handler is None:
        return HttpResponse(status=404)
    error = ""
    try:
        handler(case, request.user, request.POST, _ip(request))
    except DomainError as exc:
        error = exc.message
    except PermissionDenied as exc:
        error = str(exc)
    case = access_case(request.user, case_id)
    context = case_detail_context(case, request.user)
    context["error"] = error
    if request.headers.get("HX-Request"):
        return render(request, "cases/_panel.html", context, status=200)
    if error:
        return render(request, "cases/detail.html", context, status=400)
    return redirect("cases:detail", case_id=case.pk)


def _report_args(request: HttpRequest) -> dict[str, Any]:
    require_role(
        request.user, "reviewer", "chief", "dispatcher", "analyst", "bureau_admin", "officer"
    )
    today = timezone.localdate()
    start = _date(request.GET.get("start", "")) or today.replace(month=1, day=1)
    end = _date(request.GET.get("end", "")) or today
    user: Any = request.user
    district_id = user.district_id if user.role == "officer" else None
    if district_id is None and request.GET.get("district", "").isdigit():
        district_id = int(request.GET["district"])
    return {"start": start, "end": end, "district_id": district_id}


@login_required
def consistency_page(request: HttpRequest) -> HttpResponse:
    try:
        args = _report_args(request)
    except DomainError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    report = report_mod.consistency_report(**args)
    from nuanxin.orgs.models import District

    return render(
        request,
        "cases/report.html",
        {
            "report": report,
            "levels": report_mod.LEVELS,
            "level_labels": dict(Case.Level.choices),
            "districts": District.objects.all(),
        },
    )


@login_required
def consistency_xlsx(request: HttpRequest) -> HttpResponse:
    report = report_mod.consistency_report(**_report_args(request))
    response = HttpResponse(
        report_mod.report_xlsx(report),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="discretion-consistency-{report.start}-{report.end}.xlsx"'
    )
    return response


@login_required
def party_timeline_page(request: HttpRequest, party_id: int) -> HttpResponse:
    party = access_party_record(request.user, party_id)
    return render(
        request,
        "cases/party_timeline.html",
        {
            "party": party,
            "entries": party_timeline(party),
            "summary": party_summary(party),
            "cases": Case.objects.filter(party=party),
        },
    )


@login_required
def party_timeline_pdf(request: HttpRequest, party_id: int) -> HttpResponse:
    party = access_party_record(request.user, party_id)
    response = HttpResponse(
        timeline_pdf(party, party_timeline(party)), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="party-{party.pk}-timeline.pdf"'
    return response
