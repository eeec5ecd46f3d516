"""Background jobs of the bikes app (run by `manage.py worker`)."""

from __future__ import annotations

from datetime import datetime

from nuanxin.bikes.services import unregistered_reports_prune
from nuanxin.core.jobs import register_job
from nuanxin.mds.policy import policy_refresh_due


# A spot version dated in the future takes effect with no request to publish it: the job
# publishes the new MDS policy within this interval (three indexed reads when nothing is due).
@register_job("bikes.policy_refresh", every_seconds=5.0)
def run_policy_refresh(now: datetime) -> int:
    return 1 if policy_refresh_due(now=now) is not None else 0


@register_job("bikes.unregistered_reports_prune", every_seconds=600.0)
def run_unregistered_reports_prune(now: datetime) -> int:
    return unregistered_reports_prune(now=now)
