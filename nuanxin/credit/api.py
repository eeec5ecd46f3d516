"""Credit API (/api/v1/credit/): the public sees the level only; staff see the breakdown."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema

from nuanxin.accounts.auth import staff_auth
from nuanxin.core.access import not_found, require_staff
from nuanxin.credit.rules import rules_current
from nuanxin.credit.selectors import credit_detail, credit_level_public
from nuanxin.merchants.access import access_merchant
from nuanxin.merchants.models import Merchant

router = Router(tags=["credit"])


class LevelOut(Schema):
    merchant_id: int
    level: str
    label: str
    rules_version: str


class LineOut(Schema):
    points: Decimal
    kind: str
    text: str
    occurred_at: dt.datetime | None


class HistoryOut(Schema):
    computed_at: dt.datetime
    score: Decimal
    level: str
    previous_score: Decimal | None
    previous_level: str
    rules_version: str
    reason: str


class DetailOut(LevelOut):
    score: Decimal
    breakdown: list[LineOut]
    history: list[HistoryOut]


class RulesOut(Schema):
    version: str
    effective_from: dt.date
    title: str
    base_score: Decimal
    levels: list[dict]


@router.get("/public/{merchant_id}", response=LevelOut, auth=None)
def credit_public(request: HttpRequest, merchant_id: int) -> dict:
    """Anyone (the scan page): the level and its label, nothing that names a person or case."""
    merchant = Merchant.objects.filter(pk=merchant_id, status=Merchant.Status.ACTIVE).first()
    if merchant is None:
        raise not_found()
    public = credit_level_public(merchant=merchant)
    return {
        "merchant_id": merchant.pk,
        "level": public.level,
        "label": public.label,
        "rules_version": public.rules_version,
    }


@router.get("/rules", response=RulesOut, auth=None)
def credit_rules(request: HttpRequest) -> dict:
    rules = rules_current()
    return {
        "version": rules.version,
        "effective_from": rules.effective_from,
        "title": rules.title,
        "base_score": rules.base_score,
        "levels": [{"level": r.level, "min": str(r.min), "label": r.label} for r in rules.levels],
    }


@router.get("/merchants/{merchant_id}", response=DetailOut, auth=staff_auth)
def credit_staff(request: HttpRequest, merchant_id: int) -> dict:
    user = require_staff(request.auth)  # type: ignore[attr-defined]
    merchant = access_merchant(user, merchant_id)
    detail = credit_detail(merchant=merchant)
    return {
        "merchant_id": merchant.pk,
        "level": detail.level,
        "label": detail.label,
        "rules_version": detail.rules_version,
        "score": detail.score,
        "breakdown": [
            {"points": x.points, "kind": x.kind, "text": x.text, "occurred_at": x.occurred_at}
            for x in detail.lines
        ],
        "history": [
            {
                "computed_at": h.computed_at,
                "score": h.score,
                "level": h.level,
                "previous_score": h.previous_score,
                "previous_level": h.previous_level,
                "rules_version": h.rules_version,
                "reason": h.reason,
            }
            for h in detail.history
        ],
    }
