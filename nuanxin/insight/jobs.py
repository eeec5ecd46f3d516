"""Background follow-up of rebalancing guidance, run by `manage.py worker`."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from nuanxin.core.errors import DomainError
from nuanxin.core.jobs import register_job
from nuanxin.insight.models import RebalancePlan
from nuanxin.insight.services import rebalance_plan_evaluate


@register_job("insight.rebalance_followup", every_seconds=300)
def rebalance_followup(now: dt.datetime) -> int:
    """When a plan's window has ended, measure from the bikes' positions whether it was done.

    Each plan is claimed with a conditional UPDATE inside the same transaction as its
    evaluation, so parallel workers never evaluate one twice and a failure leaves it unclaimed.
    """
    done = 0
    candidates = RebalancePlan.objects.filter(evaluated_at__isnull=True).values_list(
        "pk", "window_start", "window_hours"
    )
    for pk, start, hours in list(candidates[:200]):
        if start + dt.timedelta(hours=hours) > now:
            continue
        try:
            with transaction.atomic():
                claimed = RebalancePlan.objects.filter(pk=pk, evaluated_at__isnull=True).update(
                    evaluated_at=now
                )
                if claimed != 1:
                    continue
                plan = RebalancePlan.objects.select_related("operator").get(pk=pk)
                rebalance_plan_evaluate(plan=plan, by=None, at=now)
                done += 1
        except DomainError:
            continue  # e.g. the bikes source vanished; retried on the next run
    return done
