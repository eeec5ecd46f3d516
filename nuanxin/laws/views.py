"""Staff pages of the law↔behaviour library (read-only; the bureau edits the data file)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from nuanxin.core.access import require_staff
from nuanxin.core.errors import DomainError
from nuanxin.laws.models import CatalogueVersion
from nuanxin.laws.selectors import catalogue_current, tag_get, tag_search


@login_required
@require_GET
def tag_list(request: HttpRequest) -> HttpResponse:
    require_staff(request.user)
    q = request.GET.get("q", "").strip()
    try:
        cat = catalogue_current()
    except DomainError as exc:
        return render(request, "laws/tag_list.html", {"error": exc.message, "tags": []})
    return render(
        request,
        "laws/tag_list.html",
        {
            "catalogue": cat,
            "versions": CatalogueVersion.objects.order_by("-effective_date", "-loaded_at"),
            "tags": tag_search(q, catalogue=cat, limit=200),
            "q": q,
        },
    )


@login_required
@require_GET
def tag_detail(request: HttpRequest, code: str) -> HttpResponse:
    require_staff(request.user)
    tag = tag_get(code)
    return render(
        request,
        "laws/tag_detail.html",
        {
            "tag": tag,
            "violated": tag.violated_articles.select_related("law"),
            "penalty": tag.penalty_articles.select_related("law"),
            "levels": tag.levels.order_by("order"),
        },
    )
