"""Demo credit: inspections become credit events; legacy records migrated from the bureau's
previous system give some history; every merchant gets its current score and first history row.

Scores are computed with the same pure function as the live service (score_compute).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from nuanxin.core.demo import DemoContext
from nuanxin.credit.models import CreditEvent, CreditScore, CreditState
from nuanxin.credit.rules import rules_current, score_compute
from nuanxin.merchants.models import Inspection, Merchant

INSPECTION_KIND = {
    "pass": "inspection_pass",
    "fail": "inspection_fail",
    "rectify": "inspection_rectify",
}
LEGACY_NOTE = "2025年自原信用系统迁移的历史记录"


def seed(ctx: DemoContext) -> None:
    if CreditState.objects.exists():
        return  # already seeded (idempotent)
    merchants = list(Merchant.objects.order_by("pk"))
    if not merchants:
        return
    rng = ctx.rng
    rules = rules_current()
    now = timezone.now()
    events: list[CreditEvent] = []
    for inspection in Inspection.objects.order_by("pk"):
        events.append(
            CreditEvent(
                merchant_id=inspection.merchant_id,
                kind=INSPECTION_KIND[inspection.result],
                occurred_at=inspection.at,
                source_type="merchants.inspection",
                source_id=str(inspection.pk),
                source_label=inspection.credit_label,
                note=inspection.notes[:200],
                recorded_at=inspection.at,
            )
        )
    for merchant in merchants:
        roll = rng.random()
        if roll > 0.12:
            continue
        kinds = (
            ["education"]
            if roll > 0.06
            else (["education", "warning"] if roll > 0.02 else ["education", "warning", "penalty"])
        )
        start = now - dt.timedelta(days=rng.randrange(60, 500))
        for step, kind in enumerate(kinds):
            at = start + dt.timedelta(days=step * rng.randrange(15, 60))
            events.append(
                CreditEvent(
                    merchant=merchant,
                    kind=kind,
                    occurred_at=min(at, now - dt.timedelta(days=1)),
                    source_label=f"#LS{merchant.pk:05d}-{step + 1}",
                    note=LEGACY_NOTE,
                    recorded_at=now,
                )
            )
    with transaction.atomic():
        CreditEvent.objects.bulk_create(events, batch_size=1000)
        by_merchant: dict[int, list[CreditEvent]] = defaultdict(list)
        for event in CreditEvent.objects.all():
            by_merchant[event.merchant_id].append(event)
        states, history = [], []
        for merchant in merchants:
            result = score_compute(rules=rules, events=by_merchant.get(merchant.pk, []), as_of=now)
            states.append(
                CreditState(
                    merchant=merchant,
                    score=result.score,
                    level=result.level,
                    rules_version=result.rules_version,
                    updated_at=now,
                )
            )
            history.append(
                CreditScore(
                    merchant=merchant,
                    score=result.score,
                    level=result.level,
                    rules_version=result.rules_version,
                    computed_at=now,
                    reason="初始评定",
                    breakdown=result.breakdown(),
                )
            )
        CreditState.objects.bulk_create(states, batch_size=1000)
        CreditScore.objects.bulk_create(history, batch_size=1000)
    ctx.say(f"credit: {len(events)} events, {len(states)} merchants scored")
