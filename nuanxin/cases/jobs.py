"""Deadline warnings for the 90-day decision clock (Art. 60), run by `manage.py worker`."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from nuanxin.audit.services import audit_record
from nuanxin.cases import clocks
from nuanxin.cases.models import PRE_DECISION, Case, CaseAction
from nuanxin.core.jobs import register_job

LEVEL_ORDER = ["", "warning", "urgent", "overdue"]


@register_job("cases.decision_deadline_warnings", every_seconds=600)
def decision_deadline_warnings(now: dt.datetime) -> int:
    """Log one warning per case and level; each row claimed with a conditional update."""
    today = timezone.localtime(now).date()
    warned = 0
    candidates = Case.objects.filter(
        status__in=PRE_DECISION, decision_due__lte=today + dt.timedelta(days=clocks.WARN_DAYS)
    ).values_list("pk", "decision_due", "deadline_warned")
    for pk, due, already in candidates:
        level = clocks.deadline_state(due, today).level
        if level == "ok" or LEVEL_ORDER.index(level) <= LEVEL_ORDER.index(already):
            continue
        with transaction.atomic():
            claimed = Case.objects.filter(pk=pk, deadline_warned=already).update(
                deadline_warned=level
            )
            if claimed != 1:
                continue  # another worker got there first
            case = Case.objects.get(pk=pk)
            CaseAction.objects.create(
                case=case,
                kind=f"deadline_{level}",
                from_status=case.status,
                to_status=case.status,
                data={"due": due.isoformat()},
            )
            audit_record(
                actor=None,
                actor_label="system:worker",
                action="case.deadline_warn",
                obj=case,
                before={"deadline_warned": already},
                after={"deadline_warned": level, "due": due.isoformat()},
            )
            warned += 1
    return warned
