from __future__ import annotations

import datetime as dt

from nuanxin.core.jobs import register_job
from nuanxin.feedback.ratelimit import rate_limit_prune
from nuanxin.feedback.services.overdue import complaints_flag_overdue


@register_job("feedback.complaints_overdue", every_seconds=60)
def complaints_overdue_job(now: dt.datetime) -> int:
    return complaints_flag_overdue(now=now)


@register_job("feedback.rate_limit_prune", every_seconds=3600)
def rate_limit_prune_job(now: dt.datetime) -> int:
    return rate_limit_prune()
