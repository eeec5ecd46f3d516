"""Reads of merchant credit: the public level, and the staff breakdown with history."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from nuanxin.credit.models import CreditScore, CreditState
from nuanxin.credit.rules import BreakdownLine, rules_current


@dataclass(frozen=True)
class CreditPublic:
    level: str
    label: str
    rules_version: str


@dataclass(frozen=True)
class CreditDetail:
    level: str
    label: str
    score: Decimal
    rules_version: str
    lines: tuple[BreakdownLine, ...]
    history: list[CreditScore]


def credit_level_public(*, merchant: Any) -> CreditPublic:
    """Level only, for public pages (the breakdown names complaints and cases)."""
    rules = rules_current()
    state = CreditState.objects.filter(merchant=merchant).first()
    level = state.level if state else rules.base_level
    return CreditPublic(level=level, label=rules.level_label(level), rules_version=rules.version)


def credit_detail(*, merchant: Any, history_limit: int = 20) -> CreditDetail:
    """Score with every point explained, computed now under the rules in force."""
    from nuanxin.credit.services import merchant_score_compute

    rules = rules_current()
    result = merchant_score_compute(merchant=merchant, rules=rules)
    history = list(CreditScore.objects.filter(merchant=merchant)[:history_limit])
    return CreditDetail(
        level=result.level,
        label=rules.level_label(result.level),
        score=result.score,
        rules_version=result.rules_version,
        lines=result.lines,
        history=history,
    )


def level_choices() -> list[tuple[str, str]]:
    return [(rule.level, f"{rule.level} {rule.label}") for rule in rules_current().levels]
