"""The overdue sweep of the complaint workflow (the `feedback.complaints_overdue` job)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record
from nuanxin.feedback.models import Complaint, ComplaintEvent
from nuanxin.feedback.services.complaints import FEEDBACK_AFTER_CLOSE_DAYS
from nuanxin.feedback.services.stages import S, complaint_move


def complaints_flag_overdue(*, now: dt.datetime, batch: int = 200) -> int:
    """Flag open complaints past their stage deadline; close those whose complainant gave no
    feedback in time. Each row is claimed with a conditional UPDATE so workers never
    double-process."""
    done = 0
    due = list(
        Complaint.objects.filter(stage_deadline__lt=now, overdue=False)
        .exclude(status=S.CLOSED)
        .values_list("pk", "status")[:batch]
    )
    for pk, status in due:
        with transaction.atomic():
            if status == S.AWAITING_FEEDBACK:
                complaint = (
                    Complaint.objects.select_for_update()
                    .filter(pk=pk, status=S.AWAITING_FEEDBACK, stage_deadline__lt=now)
                    .first()
                )
                if complaint is None:
                    continue
                complaint_move(
                    complaint,
                    S.CLOSED,
                    actor=None,
                    actor_label="system:worker",
                    kind="auto_close",
                    note=_("投诉人逾期未评价，自动办结（%(days)d日内仍可评价）")
                    % {"days": FEEDBACK_AFTER_CLOSE_DAYS},
                )
                done += 1
                continue
            claimed = Complaint.objects.filter(
                pk=pk, overdue=False, status=status, stage_deadline__lt=now
            ).update(overdue=True, overdue_flagged_at=now)
            if claimed != 1:
                continue
            complaint = Complaint.objects.get(pk=pk)
            ComplaintEvent.objects.create(
                complaint=complaint,
                at=now,
                actor_label="system:worker",
                kind="overdue",
                from_status=status,
                to_status=status,
                note=_("“%(stage)s”阶段已超过办理时限") % {"stage": S(status).label},
                public=False,
            )
            audit_record(
                actor=None,
                actor_label="system:worker",
                action="complaint.overdue",
                obj=complaint,
                before={"overdue": False},
                after={"overdue": True, "status": status},
            )
            done += 1
    return done
