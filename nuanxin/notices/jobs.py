"""Background jobs of the warm-reminder loop (run by `manage.py worker`), and the health
check that notices when no worker runs them."""

from __future__ import annotations

from datetime import datetime

from nuanxin.core.health import register_health_check
from nuanxin.core.jobs import register_job
from nuanxin.notices.assign import notices_assign_waiting
from nuanxin.notices.penalties import (
    confirmations_expire,
    penalties_issue_due,
    penalty_documents_issue,
)
from nuanxin.notices.queue import notice_queue_state, notices_open_queued
from nuanxin.notices.webhooks import webhooks_deliver_due


@register_job("notices.open", every_seconds=0.5)
def run_open(now: datetime) -> int:
    return notices_open_queued(now=now)


@register_health_check("notice_queue")
def check_notice_queue(now: datetime) -> dict:
    return notice_queue_state(now=now)


@register_job("notices.penalties", every_seconds=1.0)
def run_penalties(now: datetime) -> int:
    return penalties_issue_due(now) + confirmations_expire(now)


@register_job("notices.penalty_documents", every_seconds=1.0)
def run_penalty_documents(now: datetime) -> int:
    return penalty_documents_issue(now)


@register_job("notices.webhooks", every_seconds=2.0)
def run_webhooks(now: datetime) -> int:
    return webhooks_deliver_due(now)


@register_job("notices.assign", every_seconds=5.0)
def run_assign(now: datetime) -> int:
    return notices_assign_waiting(now=now)
