"""Demo: a few complaints and last month's assessment for every operator (deterministic)."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from nuanxin.bikes.models import Operator
from nuanxin.core.demo import DemoContext
from nuanxin.opcredit.models import Assessment, OperatorComplaint
from nuanxin.opcredit.services import assessment_run

SUMMARIES = ["单车堵塞盲道", "小区门口乱停放", "医院门口车辆堆积", "车辆倒地无人处理"]


def seed(ctx: DemoContext) -> None:
    """Idempotent: one monthly assessment per operator for the previous month."""
    rng = random.Random(ctx.rng.getrandbits(64))
    first = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    prev = first - timedelta(days=1)
    period = f"{prev:%Y-%m}"
    for op in Operator.objects.order_by("code"):
        if Assessment.objects.filter(operator=op, kind="monthly", period=period).exists():
            continue
        for i in range(rng.randint(0, 6)):
            OperatorComplaint.objects.create(
                operator=op,
                received_at=prev.replace(day=1 + (i * 4) % 27, hour=10),
                summary=rng.choice(SUMMARIES),
            )
        a = assessment_run(operator=op, period=period, kind="monthly")
        ctx.say(f"opcredit: {op.code} {period} score {a.score} ({a.outcome})")
