"""Reads of the law↔behaviour library."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.core.errors import DomainError
from nuanxin.laws.models import BehaviourTag, CatalogueVersion


def catalogue_current(*, on: date | None = None) -> CatalogueVersion:
    """The catalogue in force on `on` (today by default): latest effective date not after it."""
    day = on or timezone.localdate()
    cat = (
        CatalogueVersion.objects.filter(effective_date__lte=day)
        .order_by("-effective_date", "-loaded_at", "-pk")
        .first()
    )
    if cat is None:
        raise DomainError(
            "catalogue_missing",
            _("尚未导入法条与行为匹配库，请先运行 law_catalogue_load。"),
        )
    return cat


def _tags(catalogue: CatalogueVersion | None) -> QuerySet[BehaviourTag]:
    cat = catalogue or catalogue_current()
    return BehaviourTag.objects.filter(catalogue=cat)


def tag_get(code: str, *, catalogue: CatalogueVersion | None = None) -> BehaviourTag:
    tag = (
        _tags(catalogue)
        .filter(code=code)
        .prefetch_related("violated_articles__law", "penalty_articles__law", "levels")
        .first()
    )
    if tag is None:
        raise DomainError("tag_unknown", _("未知的行为标识：%(code)s") % {"code": code})
    return tag


def tag_search(
    q: str, *, catalogue: CatalogueVersion | None = None, limit: int = 20
) -> list[BehaviourTag]:
    """Find tags by name, synonym, code or pinyin initials (烧烤 and sk both find 露天烧烤).

    Ranking: exact name, then name prefix, then name/synonym substring, then pinyin initials.
    """
    q = (q or "").strip()
    qs = _tags(catalogue)
    if not q:
        return list(qs.order_by("category", "code")[:limit])
    lowered = q.lower()
    matches = qs.filter(
        Q(name__icontains=q)
        | Q(search_text__icontains=q)
        | Q(code__icontains=lowered)
        | Q(pinyin_initials__icontains=lowered)
    )

    def rank(tag: BehaviourTag) -> tuple[int, str]:
        if tag.name == q:
            return (0, tag.code)
        if tag.name.startswith(q):
            return (1, tag.code)
        if q in tag.name:
            return (2, tag.code)
        if q in tag.search_text:
            return (3, tag.code)
        if any(part.startswith(lowered) for part in tag.pinyin_initials.split()):
            return (4, tag.code)
        return (5, tag.code)

    return sorted(matches, key=rank)[:limit]
