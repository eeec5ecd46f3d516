"""The notice queue: flagged decisions from MDS ingest wait here for the notice job.

Ingest stores its decisions and applies the fixes they prove inline, but opening a notice
(dispatch planning, numbering, audit, webhook) happens in `manage.py worker` a moment
later, in batches: inline, it held SQLite's single write lock for a fifth of each ingest
request. See `notices_on_checks(queue_opens=True)`.

A run of the job:
1. leases up to QUEUE_CLAIM queued decisions (a short UPDATE … RETURNING);
2. without the write lock: loads them, keeps those still their bike's latest parked
   state with no open notice, and plans their dispatch;
3. in one transaction: deletes the rows still under its lease and opens the notices,
   judged again by `notices_on_checks` on the data as it is then.
A worker killed between 1 and 3 leaves its rows leased; another takes them when the lease
runs out. A lease overtaken that way makes step 3 delete nothing: each row is opened once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from nuanxin.compliance.models import ParkingCheck, Verdict
from nuanxin.notices.dispatch import DispatchPool
from nuanxin.notices.episodes import episodes_already_noticed
from nuanxin.notices.models import Notice, PendingNotice
from nuanxin.notices.services import (
    dispatch_pool_for,
    latest_parked_decisions,
    notices_on_checks,
    notices_plan,
    open_notices_for,
)

QUEUE_CLAIM = 2000  # decisions per run of the notice job
LEASE = timedelta(seconds=60)
QUEUE_STALE = timedelta(seconds=90)  # a lease and a half: no worker is taking the queue


def notice_queue_state(*, now: datetime) -> dict[str, Any]:
    """For /healthz: how many decisions wait, and for how long. A running worker keeps the
    wait near a second; one waiting longer than QUEUE_STALE means no worker takes them."""
    pending, oldest = PendingNotice.objects.aggregate(
        n=Count("pk"), oldest=Min("queued_at")
    ).values()
    waited = (now - oldest).total_seconds() if oldest else 0.0
    state: dict[str, Any] = {"pending": pending, "oldest_seconds": round(waited, 1)}
    if waited > QUEUE_STALE.total_seconds():
        state["problem"] = (
            f"{pending} flagged decisions have waited up to {waited:.0f} s for their notice: "
            "is `manage.py worker` running?"
        )
    return state


def notices_open_queued(*, now: datetime | None = None, limit: int = QUEUE_CLAIM) -> int:
    """The notice job (see the module). Returns the notices opened."""
    now = now or timezone.now()
    lease = now + LEASE
    leased = queue_lease(until=lease, now=now, limit=limit)
    if not leased:
        return 0
    return len(queue_open_leased(decision_ids=leased, lease=lease, now=now))


def queue_lease(*, until: datetime, now: datetime, limit: int = QUEUE_CLAIM) -> list[int]:
    """Lease up to `limit` queued decisions not leased by a live lease (oldest first)."""
    table = PendingNotice._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    takeable = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    if not PendingNotice.objects.filter(takeable).exists():
        return []  # the usual answer twice a second: no write transaction (SQLite's one lock)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET claimed_until = %s WHERE decision_id IN "
            f"(SELECT decision_id FROM {table} WHERE claimed_until IS NULL "
            "OR claimed_until < %s ORDER BY decision_id LIMIT %s) RETURNING decision_id",
            [adapt(until), adapt(now), limit],
        )
        return sorted(pk for (pk,) in cursor.fetchall())


def queue_open_leased(*, decision_ids: list[int], lease: datetime, now: datetime) -> list[Notice]:
    """Plan (no lock), then delete the rows still under `lease` and open their notices in
    one transaction. Returns the notices opened."""
    checks = list(
        ParkingCheck.objects.select_related("spot", "spot_version")
        .filter(pk__in=decision_ids)
        .order_by("observed_at", "pk")
    )
    pool, planned = _plan(checks, now)
    table = PendingNotice._meta.db_table
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE claimed_until = %s AND decision_id IN "
                f"({', '.join(['%s'] * len(decision_ids))}) RETURNING decision_id",
                [connection.ops.adapt_datetimefield_value(lease), *decision_ids],
            )
            ours = {pk for (pk,) in cursor.fetchall()}
        if not ours:
            return []
        return notices_on_checks(
            checks=[c for c in checks if c.pk in ours], pool=pool, planned=planned
        )


def _plan(checks: list[ParkingCheck], now: datetime) -> tuple[DispatchPool, dict]:
    """Dispatch for the decisions likely to open a notice (reads only). A decision judged
    differently in the transaction is planned there instead."""
    bikes = {c.bike_id for c in checks}
    latest = latest_parked_decisions(bikes)
    busy = {n.bike_id for n in open_notices_for(bikes) if n.kind == n.Kind.VIOLATION}
    likely = [
        c
        for c in checks
        if latest.get(c.bike_id) == c.pk and c.bike_id not in busy and c.verdict != Verdict.IN_SPOT
    ]
    noticed = episodes_already_noticed(likely)  # the same parking as an earlier notice
    likely = [c for c in likely if c.pk not in noticed]
    pool = dispatch_pool_for(checks, at=now)
    plans = notices_plan(checks=likely, pool=pool) if likely else []
    return pool, {c.pk: plan for c, plan in zip(likely, plans, strict=True)}
