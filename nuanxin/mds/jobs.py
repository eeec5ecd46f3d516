from __future__ import annotations

import datetime as dt

from nuanxin.core.jobs import register_job
from nuanxin.mds.retention import mds_records_prune

# A quarter of a second every ten seconds: a backlog (the first run on an old database)
# drains over hours without holding up the notice and penalty jobs that share the worker.
PRUNE_BUDGET_SECONDS = 0.25


@register_job("mds.records_prune", every_seconds=10)
def records_prune_job(now: dt.datetime) -> int:
    return mds_records_prune(now=now, budget_seconds=PRUNE_BUDGET_SECONDS).total()
