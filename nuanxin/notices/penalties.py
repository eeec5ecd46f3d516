"""The penalty job: every expired, unfixed notice gets exactly one decision.

Two stages, each exactly once with any number of workers and a worker killed at any instant.

1. Issue (`penalties_issue_due`, job `notices.penalties`, every second). Due open violation
   notices are claimed in chunks (`NOTICE_PENALTY_BATCH`, 500). Per chunk, ONE transaction:
   lock the rows (PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so workers split the work;
   SQLite: the IMMEDIATE transaction already holds the write lock), a conditional UPDATE
   … WHERE status='open', a contiguous range of 罚决字 numbers from the bureau's series,
   the PenaltyDecision rows (bulk), their hash-chained audit rows (bulk) and the webhooks
   (bulk). A kill rolls the whole chunk back (numbers included: no gap); the notices are
   still `open` and the next worker takes them. PenaltyDecision.notice is a OneToOneField:
   a second decision for a notice cannot exist. After this stage the decision is
   *issued*: decided, numbered, recorded, visible to the operator (`document_pending`).
2. Seal and serve (`penalty_documents_issue`, job `notices.penalty_documents`). Workers
   lease a few pending decisions by a conditional UPDATE (SKIP LOCKED on PostgreSQL),
   compute the amount and render + seal the PDF under the reserved number with no
   transaction open (CPU-bound, so workers on several cores run in parallel, SQLite
   included), then in one short transaction re-check the decision is still pending,
   store the document, serve it and mark the decision `issued`. A killed worker's lease
   expires and another worker redoes the PDF; a failure leaves it pending with a retry
   time. Document.number is unique: one document per decision whatever happens. While
   a notice that became due in the last minute (`NOTICE_DECIDE_FIRST_SECONDS`) is not yet
   decided, document workers wait: deciding comes first (it is what the 5 s target is
   about, and on SQLite there is one writer). An older undecided notice means the deciding
   job is stuck or far behind; sealing then goes on rather than wait for it forever.

A notice is due at `due_at` = deadline + grace (clock skew + late-event tolerance, from the
bike policy data), so evidence timestamped before the deadline still counts when it arrives
late. Evidence arriving after `due_at` is recorded as a late fix and changes nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import AuditItem, audit_record, audit_record_many
from nuanxin.core.errors import DomainError
from nuanxin.lib.env import envint, envstr
from nuanxin.notices.enforcement import (
    penalty_bureau,
    penalty_prepare_documents,
    penalty_store_documents,
)
from nuanxin.notices.episodes import decisions_requeue_after
from nuanxin.notices.models import Notice, PenaltyDecision
from nuanxin.notices.webhooks import WEBHOOK_RELATED, webhooks_enqueue_many

log = logging.getLogger(__name__)
DOC_TYPE = "penalty_decision"
RETRY_SECONDS = 60


def batch_size() -> int:
    """Notices per issuing transaction: a kill loses at most this much work (then redone)."""
    return max(1, envint("NOTICE_PENALTY_BATCH", 500))


def document_batch() -> int:
    """Decisions one document worker leases at a time."""
    return max(1, envint("NOTICE_DOCUMENT_BATCH", 4))


def document_lease_seconds() -> int:
    """How long a leased decision stays with its worker before another may take it."""
    return max(1, envint("NOTICE_DOCUMENT_LEASE_SECONDS", 120))


def document_budget_seconds() -> float:
    """Seconds one run of the document job works before yielding to the worker's other jobs."""
    return float(envstr("NOTICE_DOCUMENT_BUDGET_SECONDS", "2"))


def worker_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def _is_postgres() -> bool:
    return bool(getattr(settings, "IS_POSTGRES", False))


# --- Stage 1: issue ---------------------------------------------------------------------


def _reserve_numbers(count: int, now: datetime) -> list[tuple[Any, int, int, str]]:
    """(bureau, year, serial, number) × count from the bureau's 罚决字 series, or [] if
    no bureau is configured yet (the document stage numbers those decisions later)."""
    from nuanxin.documents.services import number_allocate_range

    bureau = penalty_bureau()
    if bureau is None:
        return []
    year = timezone.localtime(now).year
    numbers = number_allocate_range(bureau=bureau, doc_type=DOC_TYPE, year=year, count=count)
    return [(bureau, year, serial, number) for serial, number in numbers]


def _issue_chunk(now: datetime, size: int, label: str) -> int:
    with transaction.atomic():
        due = Notice.objects.filter(
            status=Notice.Status.OPEN, kind=Notice.Kind.VIOLATION, due_at__lte=now
        ).order_by("due_at", "pk")
        if _is_postgres():
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.values_list("pk", flat=True)[:size])
        if not ids:
            return 0
        at = timezone.now()
        claimed = Notice.objects.filter(pk__in=ids, status=Notice.Status.OPEN).update(
            status=Notice.Status.PENALISED, closed_at=at
        )
        if claimed != len(ids):  # cannot happen with the rows locked; never half a chunk
            raise RuntimeError(f"penalty claim matched {claimed} of {len(ids)} locked notices")
        # Only what the decision and audit rows need; full rows only for webhook payloads.
        notices = list(
            Notice.objects.filter(pk__in=ids)
            .only("pk", "number", "operator_id", "due_at", "bike_id", "observed_at", "check_ref_id")
            .order_by("due_at", "pk")
        )
        numbers = _reserve_numbers(len(notices), at)
        rows = []
        for i, notice in enumerate(notices):
            bureau, year, serial, number = numbers[i] if numbers else (None, None, None, "")
            rows.append(
                PenaltyDecision(
                    notice=notice,
                    operator_id=notice.operator_id,
                    number=number or f"{notice.number}-P",
                    status=PenaltyDecision.Status.DOCUMENT_PENDING,
                    bureau=bureau,
                    number_year=year,
                    number_serial=serial,
                    issued_at=at,
                    issued_by=label,
                )
            )
        decisions = PenaltyDecision.objects.bulk_create(rows, batch_size=500)
        audit_record_many(
            actor_label=f"system:penalties:{label}",
            items=[
                AuditItem(
                    action="notice.penalise",
                    obj=notice,
                    before={"status": Notice.Status.OPEN},
                    after={
                        "status": Notice.Status.PENALISED,
                        "decision": decision.number,
                        "decision_status": decision.status,
                    },
                )
                for notice, decision in zip(notices, decisions, strict=True)
            ],
        )
        _webhooks(notices, decisions)
        decisions_requeue_after(notices=notices, now=at)
    return len(notices)


def _webhooks(notices: list[Notice], decisions: list[PenaltyDecision]) -> None:
    from nuanxin.bikes.models import Operator

    hooked = set(
        Operator.objects.filter(pk__in={n.operator_id for n in notices})
        .exclude(webhook_url="")
        .values_list("pk", flat=True)
    )
    if not hooked:
        return
    by_notice = {d.notice_id: d for d in decisions}
    full = list(
        Notice.objects.filter(pk__in=[n.pk for n in notices if n.operator_id in hooked])
        .select_related(*WEBHOOK_RELATED)
        .order_by("due_at", "pk")
    )
    for notice in full:
        notice.penalty = by_notice[notice.pk]  # cached for the payload
    webhooks_enqueue_many(notices=full, event="notice.penalised")


def penalties_issue_due(now: datetime, *, limit: int | None = None) -> int:
    """Issue decisions for all notices due at `now`, chunk by chunk; returns how many
    this worker issued (others may be issuing other chunks at the same time)."""
    label = worker_label()
    issued = 0
    size = batch_size()
    while limit is None or issued < limit:
        done = _issue_chunk(now, size if limit is None else min(size, limit - issued), label)
        if not done:
            break
        issued += done
    return issued


def confirmations_expire(now: datetime, *, size: int = 500) -> int:
    """Close the confirmation notices (uncertain position) still open at their `due_at`:
    an uncertain position is never penalised, and no evidence came either way. Closing
    frees their worker for the next notice; a bike seen outside meanwhile is judged anew.
    Returns how many were closed."""
    closed = 0
    while True:
        with transaction.atomic():
            ids = list(
                Notice.objects.filter(
                    status=Notice.Status.OPEN, kind=Notice.Kind.CONFIRM, due_at__lte=now
                )
                .order_by("due_at", "pk")
                .values_list("pk", flat=True)[:size]
            )
            if not ids:
                return closed
            at = timezone.now()
            Notice.objects.filter(pk__in=ids, status=Notice.Status.OPEN).update(
                status=Notice.Status.CLOSED, closed_at=at, fix_reason="unconfirmed"
            )
            notices = list(
                Notice.objects.filter(pk__in=ids, status=Notice.Status.CLOSED, closed_at=at)
                .select_related(*WEBHOOK_RELATED)
                .order_by("due_at", "pk")
            )
            audit_record_many(
                actor_label="system:notices",
                items=[
                    AuditItem(
                        action="notice.close",
                        obj=n,
                        before={"status": Notice.Status.OPEN},
                        after={"status": n.status, "reason": n.fix_reason},
                    )
                    for n in notices
                ],
            )
            webhooks_enqueue_many(
                notices=[n for n in notices if n.operator.webhook_url], event="notice.closed"
            )
            decisions_requeue_after(notices=notices, now=at)
            closed += len(notices)


# --- Stage 2: seal and serve ------------------------------------------------------------


def _lease(now: datetime, size: int) -> list[int]:
    pending = PenaltyDecision.objects.filter(
        Q(document_not_before__isnull=True) | Q(document_not_before__lte=now),
        status=PenaltyDecision.Status.DOCUMENT_PENDING,
    )
    with transaction.atomic():
        qs = pending.order_by("issued_at", "pk")
        if _is_postgres():
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        ids = list(qs.values_list("pk", flat=True)[:size])
        if not ids:
            return []
        leased = pending.filter(pk__in=ids).update(
            document_not_before=now + timedelta(seconds=document_lease_seconds())
        )
        if leased != len(ids):
            raise RuntimeError(f"document lease matched {leased} of {len(ids)} locked decisions")
    return ids


def _number_late(decision: PenaltyDecision, now: datetime) -> None:
    """A decision issued while no bureau was configured takes its number now."""
    with transaction.atomic():
        reserved = _reserve_numbers(1, now)
        if not reserved:
            raise DomainError("no_bureau", _("尚未配置执法机关。"))
        bureau, year, serial, number = reserved[0]
        if not PenaltyDecision.objects.filter(
            pk=decision.pk, status=PenaltyDecision.Status.DOCUMENT_PENDING, number_serial=None
        ).update(bureau=bureau, number_year=year, number_serial=serial, number=number):
            raise DomainError("numbered_elsewhere", _("另一进程已为该决定编号。"))
        audit_record(
            actor=None,
            actor_label="system:penalties",
            action="penalty.number",
            obj=decision,
            before={"number": decision.number},
            after={"number": number},
        )
    decision.refresh_from_db()


def _seal_one(pk: int, now: datetime) -> bool:
    decision = (
        PenaltyDecision.objects.select_related(
            "bureau", "notice", "notice__operator", "notice__bike", "notice__check_ref"
        )
        .filter(pk=pk, status=PenaltyDecision.Status.DOCUMENT_PENDING)
        .first()
    )
    if decision is None:
        return False
    try:
        if decision.number_serial is None:
            _number_late(decision, now)
        prepared = penalty_prepare_documents(decision=decision)
    except Exception as exc:
        if not isinstance(exc, DomainError | ImportError):
            log.exception("penalty document for %s failed", decision.number)
        PenaltyDecision.objects.filter(
            pk=pk, status=PenaltyDecision.Status.DOCUMENT_PENDING
        ).update(
            note=str(exc)[:500],
            document_attempts=decision.document_attempts + 1,
            document_not_before=now + timedelta(seconds=RETRY_SECONDS),
        )
        return False
    with transaction.atomic():
        qs = PenaltyDecision.objects.filter(pk=pk, status=PenaltyDecision.Status.DOCUMENT_PENDING)
        if not qs.select_for_update().exists():
            return False  # our lease ran out and another worker finished it first
        issued = penalty_store_documents(decision=decision, prepared=prepared)
        sealed_at = timezone.now()
        qs.update(
            status=PenaltyDecision.Status.ISSUED,
            amount=issued.amount,
            document_id=issued.document.pk,
            document_number=issued.document.number,
            delivery_id=issued.delivery.pk if issued.delivery else None,
            note="",
            document_attempts=decision.document_attempts + 1,
            document_not_before=None,
            sealed_at=sealed_at,
        )
        audit_record(
            actor=None,
            actor_label="system:penalties",
            action="penalty.document_issue",
            obj=decision,
            before={"status": PenaltyDecision.Status.DOCUMENT_PENDING},
            after={
                "status": PenaltyDecision.Status.ISSUED,
                "document": issued.document.number,
                "amount": issued.amount,
                "delivery": issued.delivery.pk if issued.delivery else None,
            },
        )
    return True


def decide_first_seconds() -> int:
    """How long sealing yields to deciding: notices due longer than this and still undecided
    mean the deciding job is stuck (or far behind), and sealing must not wait for it."""
    return max(0, envint("NOTICE_DECIDE_FIRST_SECONDS", 60))


def _issuing_backlog(now: datetime) -> bool:
    """Notices that became due recently and are not decided yet (deciding comes first)."""
    return Notice.objects.filter(
        status=Notice.Status.OPEN,
        kind=Notice.Kind.VIOLATION,
        due_at__lte=now,
        due_at__gt=now - timedelta(seconds=decide_first_seconds()),
    ).exists()


def penalty_documents_issue(now: datetime, *, budget_s: float | None = None) -> int:
    """Seal and serve pending decisions for up to `budget_s` seconds; returns how many."""
    budget = document_budget_seconds() if budget_s is None else budget_s
    stop = time.monotonic() + budget
    done = 0
    while True:
        if _issuing_backlog(now):
            break  # deciding comes first: on shared cores and one SQLite writer, let it finish
        ids = _lease(now, document_batch())
        if not ids:
            break
        for pk in ids:
            if _seal_one(pk, now):
                done += 1
        if time.monotonic() >= stop:
            break
        now = max(now, timezone.now())
    return done
