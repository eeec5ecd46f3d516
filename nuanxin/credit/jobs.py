"""Worker job: events leave their look-back windows as time passes, and the bureau may ship a
new rules version, so every merchant's score is refreshed at least once a day.

Each state row is claimed with a conditional UPDATE on `updated_at`, so several workers
never recompute the same merchant twice.
"""

from __future__ import annotations

import datetime as dt

from nuanxin.core.jobs import register_job
from nuanxin.credit.models import CreditState
from nuanxin.credit.rules import rules_current
from nuanxin.credit.services import credit_recompute

BATCH = 200


@register_job("credit.daily_refresh", every_seconds=300)
def credit_daily_refresh(now: dt.datetime) -> int:
    version = rules_current().version
    stale_before = now - dt.timedelta(days=1)
    candidates = list(
        CreditState.objects.filter(updated_at__lt=stale_before).values_list(
            "merchant_id", "updated_at"
        )[:BATCH]
    )
    candidates += list(
        CreditState.objects.exclude(rules_version=version)
        .filter(updated_at__gte=stale_before)
        .values_list("merchant_id", "updated_at")[:BATCH]
    )
    done = 0
    for merchant_id, seen in candidates:
        claimed = CreditState.objects.filter(merchant_id=merchant_id, updated_at=seen).update(
            updated_at=now
        )
        if claimed != 1:
            continue  # another worker took it
        state = CreditState.objects.select_related("merchant").get(merchant_id=merchant_id)
        credit_recompute(merchant=state.merchant, by=None, reason="每日刷新", as_of=now)
        done += 1
    return done
