"""The penalty job: every expired, unfixed notice gets exactly one decision.

Exactly-once, with any number of workers and a worker killed at any instant:
1. The claim, the decision row, the document, the service and the notice's state change
   all happen in ONE transaction. A worker killed mid-way rolls all of it back; the notice
   is still `open` and the next worker takes it.
2. The claim is a conditional UPDATE … WHERE status='open' (on PostgreSQL the rows are first
   locked with SELECT … FOR UPDATE SKIP LOCKED so workers split the batch instead of
   queueing); only the worker whose UPDATE matched a row goes on.
3. PenaltyDecision.notice is a OneToOneField: a second decision for a notice cannot exist.

A notice is due at `due_at` = deadline + grace (clock skew + late-event tolerance, from the
bike policy data), so evidence timestamped before the deadline still counts when it arrives
late. Evidence arriving after `due_at` is recorded as a late fix and changes nothing.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from nuanxin.audit.services import audit_record
from nuanxin.lib.env import envint
from nuanxin.notices.enforcement import penalty_try_documents
from nuanxin.notices.models import Notice, PenaltyDecision
from nuanxin.notices.webhooks import webhook_enqueue


def batch_size() -> int:
    """Notices per transaction: a kill loses at most this much work (then redone)."""
    return max(1, envint("NOTICE_PENALTY_BATCH", 25))


def worker_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def _due_ids(now: datetime, limit: int) -> list[int]:
    return list(
        Notice.objects.filter(
            status=Notice.Status.OPEN, kind=Notice.Kind.VIOLATION, due_at__lte=now
        )
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def _penalise_one(notice: Notice, now: datetime, label: str) -> bool:
    claimed = Notice.objects.filter(pk=notice.pk, status=Notice.Status.OPEN).update(
        status=Notice.Status.PENALISED, closed_at=now
    )
    if not claimed:
        return False
    decision = PenaltyDecision.objects.create(
        notice=notice,
        operator_id=notice.operator_id,
        number=f"{notice.number}-P",
        status=PenaltyDecision.Status.DOCUMENT_PENDING,
        issued_at=timezone.now(),
        issued_by=label,
    )
    penalty_try_documents(notice=notice, decision=decision)
    notice.status = Notice.Status.PENALISED
    audit_record(
        actor=None,
        actor_label=f"system:penalties:{label}",
        action="notice.penalise",
        obj=notice,
        before={"status": Notice.Status.OPEN},
        after={
            "status": Notice.Status.PENALISED,
            "decision": decision.number,
            "decision_status": decision.status,
            "amount": decision.amount,
        },
    )
    webhook_enqueue(notice=notice, event="notice.penalised")
    return True


def penalties_issue_due(now: datetime, *, limit: int = 500) -> int:
    """Issue decisions for due notices; returns how many this worker issued."""
    label = worker_label()
    issued = 0
    ids = _due_ids(now, limit)
    size = batch_size()
    for lo in range(0, len(ids), size):
        chunk = ids[lo : lo + size]
        with transaction.atomic():
            qs = Notice.objects.filter(pk__in=chunk, status=Notice.Status.OPEN).select_related(
                "operator", "bike", "check_ref", "check_ref__spot", "check_ref__spot_version"
            )
            if getattr(settings, "IS_POSTGRES", False):
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            for notice in qs.order_by("pk"):
                if _penalise_one(notice, now, label):
                    issued += 1
    return issued


def penalty_documents_retry(now: datetime, *, limit: int = 20) -> int:
    """Complete decisions whose document could not be issued (e.g. a missing seal key)."""
    done = 0
    for pk in PenaltyDecision.objects.filter(
        status=PenaltyDecision.Status.DOCUMENT_PENDING
    ).values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            qs = PenaltyDecision.objects.filter(
                pk=pk, status=PenaltyDecision.Status.DOCUMENT_PENDING
            ).select_related("notice", "notice__operator", "notice__bike", "notice__check_ref")
            if getattr(settings, "IS_POSTGRES", False):
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            else:
                qs = qs.select_for_update()
            decision = qs.first()
            if decision is None:
                continue
            if penalty_try_documents(notice=decision.notice, decision=decision):
                audit_record(
                    actor=None,
                    actor_label="system:penalties",
                    action="penalty.document_issue",
                    obj=decision,
                    after={"document": decision.document_number},
                )
                done += 1
    return done
