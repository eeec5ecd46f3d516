"""Demo data: one rebalancing plan per active operator, computed from the demo city's bikes.

Nothing is invented: the plan is the real solver run on whatever bikes and spots the earlier
seeders created (none → no plan). Fleet sizing is left to `manage.py fleet_size`.
"""

from __future__ import annotations

from nuanxin.core.demo import DemoContext


def seed(ctx: DemoContext) -> None:
    """Idempotent: running it twice adds nothing."""
    from nuanxin.bikes.models import Bike, Operator
    from nuanxin.insight.models import RebalancePlan
    from nuanxin.insight.services import rebalance_plan_create

    made = 0
    for operator in Operator.objects.filter(status=Operator.Status.ACTIVE).order_by("code"):
        if RebalancePlan.objects.filter(operator=operator).exists():
            continue
        if not Bike.objects.filter(operator=operator, lat__isnull=False).exists():
            continue
        plan = rebalance_plan_create(operator=operator, by=None, trucks=4, truck_capacity=20)
        made += 1
        ctx.say(f"insight: rebalancing plan for {operator.code}: {plan.total_bikes} bikes")
    if not made:
        ctx.say("insight: no new rebalancing plans")
