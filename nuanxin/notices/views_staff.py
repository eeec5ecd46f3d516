"""Staff pages /staff/bikes/notices/: every warm reminder, filtered and paged, and one notice."""

from __future__ import annotations

from functools import partial
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from nuanxin.bikes.access import operators_visible
from nuanxin.core.access import require_staff
from nuanxin.notices.access import access_notice, notices_visible
from nuanxin.notices.models import Notice
from nuanxin.notices.selectors import notice_status_counts, notices_filter
from nuanxin.notices.views import notice_page

PAGE_SIZE = 50


@login_required
@require_GET
def staff_notice_list(request: HttpRequest) -> HttpResponse:
    user = require_staff(request.user)
    operators = operators_visible(user)
    notes: list[str] = []
    status = request.GET.get("status", "").strip()
    if status and status not in Notice.Status.values:
        notes.append(_("未知的状态“%(value)s”，已显示全部状态。") % {"value": status[:20]})
        status = ""
    operator = request.GET.get("operator", "").strip()
    if operator and operator not in {op.code for op in operators}:
        notes.append(
            _("未知的运营企业代码“%(value)s”，已显示全部企业。") % {"value": operator[:32]}
        )
        operator = ""
    query = request.GET.get("q", "").strip()[:32]
    overdue = request.GET.get("overdue") == "1"
    now = timezone.now()
    others = {"operator": operator, "q": query, "overdue": "1" if overdue else ""}
    narrowed = partial(
        notices_filter,
        notices_visible(user),
        operator_code=operator,
        query=query,
        overdue=overdue,
        now=now,
    )
    counts = notice_status_counts(narrowed())  # every status, the other filters applied
    listed = narrowed(status=status)
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notices/staff_list.html",
        {
            "page": page,
            "now": now,
            "notes": notes,
            "status": status,
            "operator": operator,
            "query": query,
            "overdue": overdue,
            "operators": operators,
            "statuses": Notice.Status.choices,
            "status_counts": [
                (value, label, counts[value], _filters(others, status=value))
                for value, label in Notice.Status.choices
            ],
            "total": sum(counts.values()),
            "all_statuses": _filters(others),
            "filters": _filters(others, status=status),
        },
    )


def _filters(values: dict[str, str], **more: str) -> str:
    """The filters as a query string (empty ones left out), for links that keep them."""
    return urlencode({k: v for k, v in {**values, **more}.items() if v})


@login_required
@require_GET
def staff_notice_detail(request: HttpRequest, number: str) -> HttpResponse:
    """One notice as the operator sees it (explanation, dispatch, outcome), without the
    operator's fix report form."""
    user = require_staff(request.user)
    notice = access_notice(user, number)
    context = notice_page(notice, staff=True)
    penalty = context["penalty"]
    if penalty is not None and penalty.document_id:
        # The sealed decision, when it is within what this user may open (officers: their
        # district's documents), so that the link never answers 404.
        from nuanxin.documents.access import documents_visible_to

        context["document"] = documents_visible_to(user).filter(pk=penalty.document_id).first()
    return render(request, "notices/portal_notice.html", context)
