"""Notices that opened while none of the operator's workers was free get one as soon as a
worker is free again (a notice fixed, closed or penalised, a worker back on duty), nearest
first, most urgent deadline first. Run by the worker's job `notices.assign`."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Exists

from nuanxin.audit.services import AuditItem, audit_record_many
from nuanxin.notices.dispatch import DispatchPool, PlanRequest
from nuanxin.notices.fixes import SYSTEM
from nuanxin.notices.models import Notice

ASSIGN_BATCH = 200


def notices_assign_waiting(*, now: datetime, limit: int = ASSIGN_BATCH) -> int:
    """Give each open notice without a worker (deadline not yet passed) the nearest free
    worker of its operator, if there is one. Returns how many were assigned."""
    waiting = list(
        Notice.objects.filter(status=Notice.Status.OPEN, worker__isnull=True, deadline__gt=now)
        .select_related("bike")
        .order_by("deadline", "pk")[:limit]
    )
    if not waiting:
        return 0
    pool = DispatchPool.load(operator_ids={n.operator_id for n in waiting}, at=now)
    waiting = [n for n in waiting if pool.workers.get(n.operator_id)]
    if not waiting:
        return 0
    plans = pool.plan_many(
        [PlanRequest(n.operator_id, n.lat, n.lng, n.bike.plate) for n in waiting]
    )
    items = []
    with transaction.atomic():
        for notice, plan in zip(waiting, plans, strict=True):
            if plan.worker is None:
                continue
            # Unless the notice job gave this worker a notice since the pool was loaded.
            busy = Notice.objects.filter(worker=plan.worker, status=Notice.Status.OPEN)
            claimed = (
                Notice.objects.filter(pk=notice.pk, status=Notice.Status.OPEN, worker__isnull=True)
                .exclude(Exists(busy))
                .update(
                    worker=plan.worker,
                    route_distance_m=plan.route_distance_m,
                    eta_seconds=plan.eta_seconds,
                )
            )
            if claimed:
                notice.worker = plan.worker
                items.append(
                    AuditItem(
                        action="notice.assign",
                        obj=notice,
                        before={"worker": None},
                        after={
                            "worker": plan.worker.pk,
                            "route_distance_m": round(plan.route_distance_m or 0),
                        },
                    )
                )
        audit_record_many(items=items, actor_label=SYSTEM)
    return len(items)
