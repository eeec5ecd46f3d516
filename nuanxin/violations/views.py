"""Officer phone pages (/staff/violations/) and the public slip check (/v/slip/<token>)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from nuanxin.core.access import filter_by_district, not_found
from nuanxin.core.errors import DomainError
from nuanxin.core.http import client_ip
from nuanxin.laws.selectors import tag_get, tag_search
from nuanxin.merchants.models import Merchant
from nuanxin.violations.access import (
    access_party,
    access_violation,
    may_record,
    require_recorder,
    violations_visible,
)
from nuanxin.violations.forms import ViolationForm
from nuanxin.violations.models import Outcome, Party, Slip
from nuanxin.violations.printing import slip_sections
from nuanxin.violations.selectors import party_search, violation_list
from nuanxin.violations.services import party_create, party_for_merchant, violation_record
from nuanxin.violations.timeline import party_timeline_entries


@login_required
@require_GET
def violation_list_view(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    outcome = request.GET.get("outcome", "")
    if outcome not in Outcome.values:
        outcome = ""
    page = Paginator(violation_list(user=request.user, q=q, outcome=outcome), 30).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "violations/list.html",
        {
            "page": page,
            "q": q,
            "outcome": outcome,
            "outcomes": Outcome.choices,
            "can_record": may_record(request.user),
        },
    )


@login_required
@require_GET
def tag_options(request: HttpRequest) -> HttpResponse:
    require_recorder(request.user)
    try:
        tags = tag_search(request.GET.get("q", ""), limit=12)
    except DomainError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    return render(request, "violations/_tag_options.html", {"tags": tags})


@login_required
@require_GET
def party_options(request: HttpRequest) -> HttpResponse:
    require_recorder(request.user)
    return render(
        request,
        "violations/_party_options.html",
        {"choices": party_search(user=request.user, q=request.GET.get("q", ""))},
    )


def _resolve_party(request: HttpRequest, form: ViolationForm) -> Party:
    ref = form.cleaned_data["party_ref"]
    user: Any = request.user
    if ref == "new":
        return party_create(
            kind=form.cleaned_data.get("new_kind") or Party.Kind.PERSON,
            name=form.cleaned_data["new_name"],
            id_number=form.cleaned_data.get("new_id_number") or "",
            phone=form.cleaned_data.get("new_phone") or "",
            address=form.cleaned_data.get("new_address") or "",
            district=user.district,
            by=user,
            source_ip=client_ip(request),
        )
    kind, _sep, pk = ref.partition(":")
    if kind == "merchant":
        merchant = filter_by_district(user, Merchant.objects.all()).filter(pk=int(pk)).first()
        if merchant is None:
            raise not_found()
        return party_for_merchant(merchant=merchant, by=user, source_ip=client_ip(request))
    return access_party(user, pk)


@login_required
@require_http_methods(["GET", "POST"])
def violation_new(request: HttpRequest) -> HttpResponse:
    require_recorder(request.user)
    error = ""
    if request.method == "POST":
        form = ViolationForm(request.POST)
        if form.is_valid():
            try:
                tag = tag_get(form.cleaned_data["tag_code"])
                party = _resolve_party(request, form)
                violation = violation_record(
                    party=party,
                    tag=tag,
                    occurred_at=form.cleaned_data["occurred_at"],
                    place=form.cleaned_data["place"],
                    lat=form.cleaned_data.get("lat"),
                    lng=form.cleaned_data.get("lng"),
                    source=form.cleaned_data["source"],
                    source_ref=form.cleaned_data.get("source_ref") or "",
                    evidence_refs=form.evidence_list(),
                    facts=form.facts(),
                    by=request.user,
                    source_ip=client_ip(request),
                )
            except DomainError as exc:
                error = exc.message
            else:
                return redirect(violation.get_absolute_url())
    else:
        form = ViolationForm(
            initial={
                "occurred_at": ViolationForm.default_time(),
                "source": "field",
                "harm": "minor",
            }
        )
    status = 400 if request.method == "POST" else 200
    return render(request, "violations/new.html", {"form": form, "error": error}, status=status)


@login_required
@require_GET
def violation_detail(request: HttpRequest, violation_id: int) -> HttpResponse:
    violation = access_violation(request.user, violation_id)
    slip = Slip.objects.filter(violation=violation).first()
    warning = getattr(violation, "warning", None) if hasattr(violation, "warning") else None
    return render(
        request,
        "violations/detail.html",
        {
            "v": violation,
            "slip": slip,
            "sections": slip_sections(slip.content) if slip else [],
            "warning": warning,
            "can_record": may_record(request.user),
        },
    )


@login_required
@require_GET
def party_timeline(request: HttpRequest, party_id: int) -> HttpResponse:
    party = access_party(request.user, party_id)
    if party.merchant_id:
        from nuanxin.merchants.timeline import timeline_for

        entries = timeline_for(merchant=party.merchant)
    else:
        entries = party_timeline_entries(party=party)
    visible_ids = set(
        violations_visible(request.user).filter(party=party).values_list("pk", flat=True)
    )
    return render(
        request,
        "violations/timeline.html",
        {"party": party, "entries": entries, "visible_ids": visible_ids},
    )


@require_GET
def slip_verify(request: HttpRequest, token: str) -> HttpResponse:
    """Public: number, date, agency, content hash, valid or not. No personal data."""
    slip = Slip.objects.select_related("bureau").filter(token=token).first()
    if slip is None:
        return render(request, "violations/slip_verify.html", {"slip": None}, status=404)
    response = render(request, "violations/slip_verify.html", {"slip": slip})
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
