"""The warm-reminder loop: open notices for violations, confirm fixes from evidence
(the fix claims themselves are in fixes.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import AuditItem, audit_record, audit_record_many
from nuanxin.compliance.config import loop_config
from nuanxin.compliance.hooks import MovedObservation
from nuanxin.compliance.models import BikeParking, ParkingCheck, Verdict
from nuanxin.compliance.selectors import checks_explained
from nuanxin.compliance.writes import Decision
from nuanxin.core.errors import Conflict, DomainError
from nuanxin.mds.fastdb import bulk_insert, ids_reserve, select_in
from nuanxin.notices.dispatch import Dispatch, DispatchPool, PlanRequest
from nuanxin.notices.episodes import decisions_requeue_after, episodes_already_noticed
from nuanxin.notices.fixes import SYSTEM, FixEvidence, notices_fix_many
from nuanxin.notices.models import Notice, PendingNotice
from nuanxin.notices.webhooks import webhook_enqueue, webhooks_enqueue_many

CheckLike = ParkingCheck | Decision  # a stored decision, as a model row or as written in bulk
FIX_REASONS = {"in_spot", "compliance_pick_up", "rebalance_pick_up", "trip_start"}


def notice_number_for(*, pk: int, issued_at: datetime) -> str:
    return f"NX{timezone.localtime(issued_at):%Y%m%d}{pk:07d}"


def notice_open(
    *, check: CheckLike, now: datetime | None = None, pool: DispatchPool | None = None
) -> Notice | None:
    """Open a notice for one outside/uncertain decision (None if the bike already has one).
    `pool`: the batch's dispatch pool, when the caller opens many notices at once."""
    now = now or timezone.now()
    if pool is None:
        pool = DispatchPool.load(operator_ids=[check.operator_id], at=now)
    return notices_open_many(checks=[check], now=now, pool=pool)[0]


def notices_open_many(
    *,
    checks: Sequence[CheckLike],
    now: datetime,
    pool: DispatchPool,
    planned: dict[int, Dispatch] | None = None,
) -> list[Notice | None]:
    """Open a notice for each decision, in order (workers are taken from `pool` in that
    order), with one id reservation, INSERT, audit append and webhook INSERT for all.
    A bike whose notice a concurrent request opened first gets None, the rest still open.
    `planned`: dispatch planned beforehand (by decision id, see `notices_plan`); the
    decisions it lacks are planned here."""
    if not checks:
        return []
    pool.bikes_preload({c.bike_id for c in checks})
    known = planned or {}
    missing = [c for c in checks if c.pk not in known]
    fresh = iter(notices_plan(checks=missing, pool=pool) if missing else [])
    plans = [known[c.pk] if c.pk in known else next(fresh) for c in checks]  # type: ignore[index]
    try:
        return list(_notices_insert(list(zip(checks, plans, strict=True)), now=now, pool=pool))
    except IntegrityError:  # the one-open-notice-per-bike index refused one of them
        if len(checks) == 1:
            return [None]
    opened: list[Notice | None] = []
    for pair in zip(checks, plans, strict=True):
        try:
            opened.extend(_notices_insert([pair], now=now, pool=pool))
        except IntegrityError:  # another request opened this bike's notice first
            opened.append(None)
    return opened


def notices_plan(*, checks: Sequence[CheckLike], pool: DispatchPool) -> list[Dispatch]:
    """Dispatch for each decision's notice, in order (reads only: the notice job plans
    before it takes the write lock)."""
    pool.bikes_preload({c.bike_id for c in checks})
    return pool.plan_many(
        [PlanRequest(c.operator_id, c.lat, c.lng, pool.bike(c.bike_id).plate) for c in checks]
    )


def _notices_insert(
    pairs: list[tuple[CheckLike, Dispatch]], *, now: datetime, pool: DispatchPool
) -> list[Notice]:
    """INSERT the planned notices with their audit rows and webhooks, all or none (a
    savepoint: an IntegrityError leaves the caller's transaction usable)."""
    cfg = loop_config()
    deadline = now + timedelta(seconds=cfg.fix_window_seconds)
    due_at = deadline + timedelta(seconds=cfg.grace_seconds)
    with transaction.atomic():
        pks = ids_reserve(Notice, len(pairs))  # the number carries the id: no UPDATE after
        notices = []
        for pk, (check, plan) in zip(pks, pairs, strict=True):
            notice = Notice(
                pk=pk,
                number=notice_number_for(pk=pk, issued_at=now),
                kind=Notice.Kind.VIOLATION
                if check.verdict == Verdict.OUTSIDE
                else Notice.Kind.CONFIRM,
                operator_id=check.operator_id,
                bike_id=check.bike_id,
                check_ref_id=check.pk,  # type: ignore[misc]  # stored: pk is set
                lat=check.lat,
                lng=check.lng,
                observed_at=check.observed_at,
                issued_at=now,
                deadline=deadline,
                due_at=due_at,
                worker=plan.worker,
                route_distance_m=plan.route_distance_m,
                eta_seconds=plan.eta_seconds,
                nav_url=plan.nav_url,
                target_spot=plan.target_spot,
                target_distance_m=plan.target_distance_m,
                target_nav_url=plan.target_nav_url,
            )
            # Relations the audit and webhook payload read, from memory instead of queries.
            notice.bike, notice.operator = (
                pool.bike(check.bike_id),
                pool.operator(check.operator_id),
            )
            notice.check_ref = check if isinstance(check, ParkingCheck) else check.as_model()
            notices.append(notice)
        Notice.objects.bulk_create(notices)
        audit_record_many(
            items=[
                AuditItem(
                    action="notice.open",
                    obj=n,
                    after={
                        "kind": n.kind,
                        "check": n.check_ref_id,
                        "deadline": deadline,
                        "worker": n.worker_id,
                    },
                )
                for n in notices
            ],
            actor_label=SYSTEM,
        )
        hooked = [n for n in notices if n.operator.webhook_url]
        checks_explained([n.check_ref for n in hooked])
        webhooks_enqueue_many(notices=hooked, event="notice.opened")
    return notices


def dispatch_pool_for(checks: Sequence[CheckLike], *, at: datetime) -> DispatchPool:
    """The dispatch pool of these decisions' operators, planned against the spots the
    decisions were judged with when they share one stamp."""
    stamps = {c.spots_stamp for c in checks}
    return DispatchPool.load(
        operator_ids={c.operator_id for c in checks},
        at=at,
        stamp=stamps.pop() if len(stamps) == 1 and 0 not in stamps else None,
    )


def latest_parked_decisions(bike_ids: set[int]) -> dict[int, int | None]:
    """{bike_id: its latest decision's id}, for the bikes still parked: a bike moved since
    its decision needs no notice (its `check_id_ref` outlives the move)."""
    return dict(
        BikeParking.objects.filter(bike_id__in=bike_ids, parked=True).values_list(
            "bike_id", "check_id_ref"
        )
    )


class _Answers:
    """A batch's decisions that answer or open notices, written in bulk. A step that
    depends on an earlier one for the same bike (a fix, then a new notice) flushes first,
    so the outcome is the same as handling the decisions one by one."""

    def __init__(
        self,
        checks: Sequence[CheckLike],
        now: datetime,
        open_by_bike: dict,
        pool: DispatchPool | None = None,
        planned: dict[int, Dispatch] | None = None,
    ) -> None:
        self.checks, self.now, self.open_by_bike = checks, now, open_by_bike
        self.fixes: dict[int, FixEvidence] = {}
        self.opens: dict[int, CheckLike] = {}
        self.pool, self.planned = pool, planned
        self.opened: list[Notice] = []

    def fix_later(self, evidence: FixEvidence) -> None:
        self.fixes[evidence.notice.bike_id] = evidence

    def open_later(self, check: CheckLike) -> None:
        if self.pool is None:
            # Loaded where the first notice opens: workers freed by earlier fixes are free.
            self.flush_fixes()
            self.pool = dispatch_pool_for(self.checks, at=self.now)
            self.pool.bikes_preload(
                {c.bike_id for c in self.checks if c.verdict != Verdict.IN_SPOT}
            )
        self.opens[check.bike_id] = check

    def settle(self, bike_id: int) -> None:
        """Write what is pending for this bike before judging another of its decisions."""
        if bike_id in self.fixes:
            self.flush_fixes()
        if bike_id in self.opens:
            self.flush_opens()

    def flush_fixes(self) -> None:
        evidence, self.fixes = list(self.fixes.values()), {}
        for e, ok in zip(evidence, notices_fix_many(evidence=evidence), strict=True):
            if ok:
                self.open_by_bike.pop(e.notice.bike_id, None)

    def flush_opens(self) -> None:
        checks, self.opens = list(self.opens.values()), {}
        if not checks:
            return
        assert self.pool is not None
        opened = notices_open_many(
            checks=checks, now=self.now, pool=self.pool, planned=self.planned
        )
        for notice in opened:
            if notice is not None:
                self.opened.append(notice)
                self.open_by_bike[notice.bike_id] = notice


def notices_on_checks(
    *,
    checks: Sequence[CheckLike],
    queue_opens: bool = False,
    pool: DispatchPool | None = None,
    planned: dict[int, Dispatch] | None = None,
) -> list[Notice]:
    """After a batch of decisions: fix notices answered by in-spot evidence, open new ones
    for bikes whose latest known state is outside (or uncertain).

    `queue_opens` (MDS ingest): fix inline, but queue the flagged decisions for the notice
    job (`notices_open_queued`) instead of opening their notices here, so that dispatch
    planning, audit and webhooks stay out of ingest's write transaction. The job judges
    them exactly as this function would, a moment later. `pool` and `planned`: dispatch
    loaded and planned beforehand (the job's), used for the notices it covers."""
    if not checks:
        return []
    now = timezone.now()
    if queue_opens:
        _fix_and_queue(checks, now)
        return []  # opened later, by the notice job
    bike_ids = {c.bike_id for c in checks}
    open_by_bike = {n.bike_id: n for n in open_notices_for(bike_ids)}
    flagged = {c.bike_id for c in checks if c.verdict != Verdict.IN_SPOT}
    latest_ref = latest_parked_decisions(flagged)
    noticed = episodes_already_noticed(
        [
            c
            for c in checks
            if c.verdict != Verdict.IN_SPOT
            and latest_ref.get(c.bike_id) == c.pk
            and c.bike_id not in open_by_bike
        ]
    )
    todo = _Answers(checks, now, open_by_bike, pool, planned)
    for c in sorted(checks, key=lambda c: c.observed_at):
        if c.verdict == Verdict.IN_SPOT:
            todo.settle(c.bike_id)
            existing = open_by_bike.get(c.bike_id)
            if existing is not None and c.observed_at >= existing.observed_at:
                todo.fix_later(FixEvidence(existing, c.observed_at, "in_spot", c.source_id))
            continue
        if latest_ref.get(c.bike_id) != c.pk:
            continue  # a newer observation of this bike exists: judge that one
        todo.settle(c.bike_id)
        existing = open_by_bike.get(c.bike_id)
        if existing is not None:
            if existing.kind == Notice.Kind.CONFIRM and c.verdict == Verdict.OUTSIDE:
                notice_close(notice=existing, reason="superseded")
            else:
                continue  # judged again when that notice closes (decisions_requeue_after)
        elif c.pk in noticed:
            continue  # the same parking as a notice already answered or penalised
        todo.open_later(c)
    todo.flush_fixes()
    todo.flush_opens()
    return todo.opened


def _fix_and_queue(checks: Sequence[CheckLike], now: datetime) -> None:
    """The inline half of `notices_on_checks(queue_opens=True)`: in-spot evidence fixes the
    bikes' open notices now; each flagged decision is queued. (A fix older than a queued
    decision of the same batch is still applied: the job then opens the new notice.)"""
    open_by_bike = {
        n.bike_id: n
        for n in open_notices_for({c.bike_id for c in checks if c.verdict == Verdict.IN_SPOT})
    }
    evidence: dict[int, FixEvidence] = {}
    for c in sorted(checks, key=lambda c: c.observed_at):
        existing = open_by_bike.get(c.bike_id)
        if (
            existing is not None
            and c.verdict == Verdict.IN_SPOT
            and c.observed_at >= existing.observed_at
            and c.bike_id not in evidence
        ):
            evidence[c.bike_id] = FixEvidence(existing, c.observed_at, "in_spot", c.source_id)
    notices_fix_many(evidence=list(evidence.values()))
    flagged = [c.pk for c in checks if c.verdict != Verdict.IN_SPOT]
    if flagged:
        bulk_insert(PendingNotice, ["decision", "queued_at"], [(pk, now) for pk in flagged])


def open_notices_for(bike_ids: set[int] | list[int]) -> list[Notice]:
    """The open notices of these bikes. Ingest asks this for every batch's hundreds of bikes,
    of which almost none have one: the ids are found with raw SQL on the partial unique
    index (bike_id WHERE status = 'open'), and only the few hits become model instances."""
    found = select_in(
        f"SELECT id FROM {Notice._meta.db_table} WHERE status = %s AND bike_id IN ({{ids}})",
        sorted(bike_ids),
        params=[Notice.Status.OPEN.value],
    )
    if not found:
        return []
    return list(Notice.objects.filter(pk__in=[pk for (pk,) in found], status=Notice.Status.OPEN))


def notices_on_moved(*, observations: Sequence[MovedObservation]) -> int:
    by_bike = {o.bike_id: o for o in observations}
    evidence = []
    for notice in open_notices_for(list(by_bike)):
        o = by_bike[notice.bike_id]
        if o.at < notice.observed_at:
            continue  # a movement before the violation answers nothing
        evidence.append(FixEvidence(notice, o.at, o.reason, o.source_id))
    return sum(notices_fix_many(evidence=evidence))


def notice_close(*, notice: Notice, reason: str, by: Any = None) -> Notice:
    """Close an open notice without a fix or a penalty (`reason`: see
    `Notice.FIX_REASONS`). A bike observed outside again meanwhile is judged anew
    (`decisions_requeue_after`), except when a violation notice supersedes this one."""
    with transaction.atomic():
        updated = Notice.objects.filter(pk=notice.pk, status=Notice.Status.OPEN).update(
            status=Notice.Status.CLOSED, closed_at=timezone.now(), fix_reason=reason[:32]
        )
        if not updated:
            raise Conflict("notice_not_open", _("该提醒已不是待整改状态。"))
        notice.refresh_from_db()
        audit_record(
            actor=by,
            actor_label="" if by else SYSTEM,
            action="notice.close",
            obj=notice,
            after={"reason": reason},
        )
        webhook_enqueue(notice=notice, event="notice.closed")
        if reason != "superseded":
            decisions_requeue_after(notices=[notice], now=timezone.now())
    return notice


MAX_PHOTO_BYTES = 8 * 1024 * 1024


def notice_fix_report(
    *, notice: Notice, by: Any, photo: UploadedFile | None = None, note: str = ""
) -> Notice:
    """A maintenance worker reports the bike moved (optional photo). A violation notice
    closes only when MDS evidence confirms the fix; the report is kept as supporting
    evidence. A confirmation notice (uncertain position, never penalised) is answered by
    the report itself: the worker has been to the bike and confirmed it, and is free."""
    if notice.status != Notice.Status.OPEN:
        raise Conflict("notice_not_open", _("该提醒已不是待整改状态。"))
    if photo is not None:
        if photo.size and photo.size > MAX_PHOTO_BYTES:
            raise DomainError("photo_too_large", _("照片不能超过 8 MB。"))
        if (photo.content_type or "").split("/")[0] != "image":
            raise DomainError("photo_not_image", _("请上传图片文件。"))
    with transaction.atomic():
        locked = Notice.objects.select_for_update().get(pk=notice.pk)
        if locked.status != Notice.Status.OPEN:
            raise Conflict("notice_not_open", _("该提醒已不是待整改状态。"))
        now = timezone.now()
        locked.fix_reported_at = now
        fields = ["fix_reported_at"]
        if photo is not None:
            locked.fix_photo.save(photo.name or "photo.jpg", photo, save=False)
            fields.append("fix_photo")
        locked.save(update_fields=fields)
        audit_record(
            actor=by,
            action="notice.fix_report",
            obj=locked,
            after={"photo": bool(photo), "note": note[:200]},
        )
        if locked.kind == Notice.Kind.CONFIRM:
            notice_close(notice=locked, reason="confirmed_by_worker", by=by)
    return locked
