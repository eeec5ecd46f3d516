"""JSON API of the law↔behaviour library: tag search, tag detail, discretion proposals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from nuanxin.accounts.auth import staff_auth
from nuanxin.core.access import require_staff
from nuanxin.laws.discretion import discretion_propose
from nuanxin.laws.models import Article, BehaviourTag
from nuanxin.laws.selectors import catalogue_current, tag_get, tag_search

router = Router(tags=["laws"], auth=staff_auth)


class ArticleOut(Schema):
    citation: str
    text: str
    summary: str
    text_complete: bool
    scope: str
    source: str
    version_date: str | None


class TagBrief(Schema):
    code: str
    name: str
    category: str
    leniency_allowed: bool


class TagOut(TagBrief):
    catalogue_version: str
    synonyms: list[str]
    pinyin_initials: str
    violated: list[ArticleOut]
    penalty: list[ArticleOut]
    penalty_text: str
    penalty_min: Decimal
    penalty_max: Decimal
    penalty_scope: str
    lookback_months: int
    procedure: str
    required_documents: list[str]
    for_party_kinds: list[str]


class DiscretionIn(Schema):
    party_kind: str = "person"
    facts: dict[str, Any] = {}


class DiscretionOut(Schema):
    level: str
    level_label: str
    amount: Decimal
    amount_min: Decimal
    amount_max: Decimal
    reasons: list[str]
    catalogue_version: str


def _article(a: Article) -> ArticleOut:
    return ArticleOut(
        citation=a.full_citation,
        text=a.text,
        summary=a.summary,
        text_complete=a.text_complete,
        scope=a.scope,
        source=a.law.source,
        version_date=a.law.version_date.isoformat() if a.law.version_date else None,
    )


def _tag(t: BehaviourTag) -> TagOut:
    return TagOut(
        code=t.code,
        name=t.name,
        category=t.category,
        leniency_allowed=t.leniency_allowed,
        catalogue_version=t.catalogue.version,
        synonyms=list(t.synonyms),
        pinyin_initials=t.pinyin_initials,
        violated=[_article(a) for a in t.violated_articles.select_related("law")],
        penalty=[_article(a) for a in t.penalty_articles.select_related("law")],
        penalty_text=t.penalty_text,
        penalty_min=t.penalty_min,
        penalty_max=t.penalty_max,
        penalty_scope=t.penalty_scope,
        lookback_months=t.lookback_months,
        procedure=t.procedure,
        required_documents=list(t.required_documents),
        for_party_kinds=list(t.for_party_kinds),
    )


@router.get("/tags", response=list[TagBrief], summary="Search behaviour tags (烧烤 / sk)")
def tags(request: HttpRequest, q: str = "") -> list[TagBrief]:
    require_staff(request.user)
    cat = catalogue_current()
    return [
        TagBrief(code=t.code, name=t.name, category=t.category, leniency_allowed=t.leniency_allowed)
        for t in tag_search(q, catalogue=cat)
    ]


@router.get("/tags/{code}", response=TagOut, summary="A behaviour tag with its articles")
def tag(request: HttpRequest, code: str) -> TagOut:
    require_staff(request.user)
    return _tag(tag_get(code))


@router.post("/tags/{code}/discretion", response=DiscretionOut, summary="Propose a penalty")
def discretion(request: HttpRequest, code: str, payload: DiscretionIn) -> DiscretionOut:
    require_staff(request.user)
    p = discretion_propose(tag=tag_get(code), party_kind=payload.party_kind, facts=payload.facts)
    return DiscretionOut(
        level=p.level,
        level_label=p.level_label,
        amount=p.amount,
        amount_min=p.amount_min,
        amount_max=p.amount_max,
        reasons=p.reasons,
        catalogue_version=p.catalogue_version,
    )
