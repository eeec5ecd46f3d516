"""Writes of the credit app: recording credit events and (re)computing scores.

Other apps call `credit_event_record` inside their own transaction whenever something
credit-relevant happens (a rating, a substantiated complaint, an education record…).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record
from nuanxin.core.errors import DomainError
from nuanxin.credit.models import CreditEvent, CreditScore, CreditState
from nuanxin.credit.rules import CreditRules, ScoreResult, rules_current, score_compute

# The kinds every app may report. The rules file gives each its points; a kind the rules
# do not mention is stored and shown but scores nothing (so a new kind never breaks a caller).
KINDS = {
    "rating",
    "complaint_substantiated",
    "complaint_unfounded",
    "education",
    "warning",
    "penalty",
    "inspection_pass",
    "inspection_fail",
    "inspection_rectify",
}


def _source_ref(source: models.Model | None) -> tuple[str, str, str]:
    if source is None:
        return "", "", ""
    label = ""
    for attr in ("credit_label", "tracking_no", "number", "code"):
        candidate = getattr(source, attr, None)
        if callable(candidate):
            candidate = candidate()
        if candidate:
            label = str(candidate)
            break
    if not label:
        label = f"#{source.pk}"
    if not label.startswith("#"):
        label = f"#{label}"
    return source._meta.label_lower, str(source.pk), label[:200]


def _validate(kind: str, value: int | Decimal | None) -> Decimal | None:
    if kind not in KINDS:
        raise DomainError("credit_kind_unknown", _("未知的信用事件类型：%(kind)s") % {"kind": kind})
    bad_stars = value is None or int(value) != value or not 1 <= int(value) <= 5
    if kind == "rating" and bad_stars:
        raise DomainError("credit_rating_value", _("评价星级必须是 1 到 5 的整数。"))
    return Decimal(value) if value is not None else None


@transaction.atomic
def credit_event_record(
    *,
    merchant: Any,
    kind: str,
    source: models.Model | None,
    occurred_at: dt.datetime,
    by: Any,
    value: int | Decimal | None = None,
    note: str = "",
) -> CreditEvent:
    """Store a credit event and update the merchant's score. Idempotent per (kind, source)."""
    decimal_value = _validate(kind, value)
    if timezone.is_naive(occurred_at):
        raise DomainError("credit_naive_time", _("事件时间必须带时区。"))
    source_type, source_id, source_label = _source_ref(source)
    if source_id:
        existing = CreditEvent.objects.filter(
            kind=kind, source_type=source_type, source_id=source_id
        ).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            event = CreditEvent.objects.create(
                merchant=merchant,
                kind=kind,
                value=decimal_value,
                occurred_at=occurred_at,
                source_type=source_type,
                source_id=source_id,
                source_label=source_label,
                note=note[:500],
                recorded_by=by if getattr(by, "is_authenticated", False) else None,
            )
    except IntegrityError:
        # A concurrent retry won the race: the event exists once, which is what we want.
        return CreditEvent.objects.get(kind=kind, source_type=source_type, source_id=source_id)
    audit_record(
        actor=by,
        action="credit.event_record",
        obj=event,
        after={
            "merchant_id": merchant.pk,
            "kind": kind,
            "value": str(decimal_value) if decimal_value is not None else None,
            "occurred_at": occurred_at.isoformat(),
            "source": f"{source_type}:{source_id}" if source_id else "",
            "source_label": source_label,
        },
    )
    _score_store(merchant=merchant, by=by, trigger=event, reason=_("信用事件"))
    return event


def merchant_score_compute(
    *, merchant: Any, as_of: dt.datetime | None = None, rules: CreditRules | None = None
) -> ScoreResult:
    """The score from all of the merchant's events under the given (default: current) rules."""
    events = list(
        CreditEvent.objects.filter(merchant=merchant).only(
            "pk", "kind", "value", "occurred_at", "source_label"
        )
    )
    return score_compute(
        rules=rules or rules_current(), events=events, as_of=as_of or timezone.now()
    )


def _score_store(
    *,
    merchant: Any,
    by: Any,
    trigger: CreditEvent | None,
    reason: str,
    as_of: dt.datetime | None = None,
) -> tuple[CreditState, bool]:
    """Recompute and, when score or level changed, keep a history row and audit the change."""
    from nuanxin.merchants.models import Merchant

    # Lock the merchant row: concurrent events for one merchant are scored one after another.
    list(Merchant.objects.select_for_update().filter(pk=merchant.pk).values_list("pk", flat=True))
    result = merchant_score_compute(merchant=merchant, as_of=as_of)
    state = CreditState.objects.filter(merchant=merchant).first()
    before = (state.score, state.level) if state else (None, "")
    changed = state is None or (state.score, state.level) != (result.score, result.level)
    version_changed = state is not None and state.rules_version != result.rules_version
    if not changed and not version_changed:
        return state, False  # type: ignore[return-value]
    now = as_of or timezone.now()
    if state is None:
        state = CreditState.objects.create(
            merchant=merchant,
            score=result.score,
            level=result.level,
            rules_version=result.rules_version,
            updated_at=now,
        )
    else:
        state.score, state.level = result.score, result.level
        state.rules_version, state.updated_at = result.rules_version, now
        state.save(update_fields=["score", "level", "rules_version", "updated_at"])
    if changed:
        CreditScore.objects.create(
            merchant=merchant,
            score=result.score,
            level=result.level,
            previous_score=before[0],
            previous_level=before[1],
            rules_version=result.rules_version,
            computed_at=now,
            trigger=trigger,
            reason=reason[:200],
            breakdown=result.breakdown(),
        )
        audit_record(
            actor=by,
            action="credit.score_change",
            obj=merchant,
            before={"score": before[0], "level": before[1]},
            after={
                "score": result.score,
                "level": result.level,
                "rules_version": result.rules_version,
            },
        )
    return state, changed


@transaction.atomic
def credit_recompute(
    *, merchant: Any, by: Any, reason: str = "", as_of: dt.datetime | None = None
) -> CreditState:
    """Recompute the merchant's score from all its events (after a rules change, or daily as
    old events leave their look-back windows). Same result as the incremental updates."""
    state, _changed = _score_store(
        merchant=merchant, by=by, trigger=None, reason=reason or _("重新计算"), as_of=as_of
    )
    return state


def credit_recompute_all(*, by: Any, merchant_ids: list[int] | None = None) -> int:
    """Recompute every merchant (one short transaction each); returns how many changed."""
    from nuanxin.merchants.models import Merchant

    queryset = Merchant.objects.order_by("pk")
    if merchant_ids:
        queryset = queryset.filter(pk__in=merchant_ids)
    changed = 0
    for merchant in queryset.iterator(chunk_size=500):
        with transaction.atomic():
            before = (
                CreditState.objects.filter(merchant=merchant).values_list("score", "level").first()
            )
            state = credit_recompute(merchant=merchant, by=by)
            if before != (state.score, state.level):
                changed += 1
    return changed
