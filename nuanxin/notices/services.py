"""The warm-reminder loop: open notices for violations, confirm fixes from evidence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record
from nuanxin.compliance.config import loop_config
from nuanxin.compliance.hooks import MovedObservation
from nuanxin.compliance.models import BikeParking, ParkingCheck, Verdict
from nuanxin.compliance.writes import Decision
from nuanxin.core.errors import Conflict, DomainError
from nuanxin.mds.fastdb import ids_reserve, select_in
from nuanxin.notices.dispatch import DispatchPool
from nuanxin.notices.models import Notice
from nuanxin.notices.webhooks import webhook_enqueue

SYSTEM = "system:notices"
CheckLike = ParkingCheck | Decision  # a stored decision, as a model row or as written in bulk
FIX_REASONS = {"in_spot", "compliance_pick_up", "rebalance_pick_up", "trip_start"}


def notice_number_for(*, pk: int, issued_at: datetime) -> str:
    return f"NX{timezone.localtime(issued_at):%Y%m%d}{pk:07d}"


def _snapshot(n: Notice) -> dict[str, Any]:
    return {
        "status": n.status,
        "fixed_at": n.fixed_at,
        "fix_reason": n.fix_reason,
        "late_fix_at": n.late_fix_at,
    }


def notice_open(
    *, check: CheckLike, now: datetime | None = None, pool: DispatchPool | None = None
) -> Notice | None:
    """Open a notice for one outside/uncertain decision (None if the bike already has one).
    `pool`: the batch's dispatch pool, when the caller opens many notices at once."""
    now = now or timezone.now()
    cfg = loop_config()
    kind = Notice.Kind.VIOLATION if check.verdict == Verdict.OUTSIDE else Notice.Kind.CONFIRM
    deadline = now + timedelta(seconds=cfg.fix_window_seconds)
    if pool is None:
        pool = DispatchPool.load(operator_ids=[check.operator_id], at=now)
    bike = pool.bike(check.bike_id)
    plan = pool.plan(operator_id=check.operator_id, lat=check.lat, lng=check.lng, label=bike.plate)
    try:
        with transaction.atomic():
            (pk,) = ids_reserve(Notice, 1)  # the number carries the id: one INSERT, no UPDATE
            notice = Notice.objects.create(
                pk=pk,
                number=notice_number_for(pk=pk, issued_at=now),
                kind=kind,
                operator_id=check.operator_id,
                bike_id=check.bike_id,
                check_ref_id=check.pk,  # type: ignore[misc]  # stored: pk is set
                lat=check.lat,
                lng=check.lng,
                observed_at=check.observed_at,
                issued_at=now,
                deadline=deadline,
                due_at=deadline + timedelta(seconds=cfg.grace_seconds),
                worker=plan.worker,
                route_distance_m=plan.route_distance_m,
                eta_seconds=plan.eta_seconds,
                nav_url=plan.nav_url,
                target_spot=plan.target_spot,
                target_distance_m=plan.target_distance_m,
                target_nav_url=plan.target_nav_url,
            )
            # Relations the audit and webhook payload read, from memory instead of queries.
            notice.bike, notice.operator = bike, pool.operator(check.operator_id)
            notice.check_ref = check if isinstance(check, ParkingCheck) else check.as_model()
            audit_record(
                actor=None,
                actor_label=SYSTEM,
                action="notice.open",
                obj=notice,
                after={
                    "kind": kind,
                    "check": check.pk,
                    "deadline": deadline,
                    "worker": plan.worker.pk if plan.worker else None,
                },
            )
            webhook_enqueue(notice=notice, event="notice.opened")
    except IntegrityError:  # another request opened the bike's notice first
        return None
    return notice


def notices_on_checks(*, checks: Sequence[CheckLike]) -> list[Notice]:
    """After a batch of decisions: fix notices answered by in-spot evidence, open new ones
    for bikes whose latest known state is outside (or uncertain)."""
    if not checks:
        return []
    now = timezone.now()
    bike_ids = {c.bike_id for c in checks}
    open_by_bike = {n.bike_id: n for n in open_notices_for(bike_ids)}
    flagged = {c.bike_id for c in checks if c.verdict != Verdict.IN_SPOT}
    latest_ref = dict(
        BikeParking.objects.filter(bike_id__in=flagged).values_list("bike_id", "check_id_ref")
    )
    opened = []
    pool: DispatchPool | None = None  # loaded once per batch, only if a notice opens
    for c in sorted(checks, key=lambda c: c.observed_at):
        existing = open_by_bike.get(c.bike_id)
        if c.verdict == Verdict.IN_SPOT:
            if (
                existing is not None
                and c.observed_at >= existing.observed_at
                and notice_fix(
                    notice=existing, at=c.observed_at, reason="in_spot", source_id=c.source_id
                )
            ):
                open_by_bike.pop(c.bike_id, None)
            continue
        if latest_ref.get(c.bike_id) != c.pk:
            continue  # a newer observation of this bike exists: judge that one
        if existing is not None:
            if existing.kind == Notice.Kind.CONFIRM and c.verdict == Verdict.OUTSIDE:
                notice_close(notice=existing, reason="superseded")
            else:
                continue
        if pool is None:
            pool = DispatchPool.load(operator_ids={c.operator_id for c in checks}, at=now)
            pool.bikes_preload(flagged)
        notice = notice_open(check=c, now=now, pool=pool)
        if notice is not None:
            opened.append(notice)
            open_by_bike[c.bike_id] = notice
    return opened


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
    fixed = 0
    by_bike = {o.bike_id: o for o in observations}
    for notice in open_notices_for(list(by_bike)):
        o = by_bike[notice.bike_id]
        if o.at < notice.observed_at:
            continue  # a movement before the violation answers nothing
        if notice_fix(notice=notice, at=o.at, reason=o.reason, source_id=o.source_id):
            fixed += 1
    return fixed


def notice_fix(*, notice: Notice, at: datetime, reason: str, source_id: str) -> bool:
    """Confirm a fix from evidence timestamped `at`. Judged on the evidence's own time:
    it counts when `at` ≤ deadline + clock-skew tolerance. Later evidence is recorded as a
    late fix and the penalty goes ahead. Returns True when the notice was fixed."""
    cfg = loop_config()
    skew = timedelta(seconds=cfg.clock_skew_seconds)
    now = timezone.now()
    with transaction.atomic():
        if notice.kind == Notice.Kind.VIOLATION and not notice.counts_as_fixed_at(at, skew):
            updated = Notice.objects.filter(
                pk=notice.pk, status=Notice.Status.OPEN, late_fix_at__isnull=True
            ).update(late_fix_at=at)
            if updated:
                audit_record(
                    actor=None,
                    actor_label=SYSTEM,
                    action="notice.late_fix",
                    obj=notice,
                    after={"evidence_at": at, "reason": reason, "source_id": source_id},
                )
            return False
        new_status = (
            Notice.Status.FIXED if notice.kind == Notice.Kind.VIOLATION else Notice.Status.CLOSED
        )
        # Conditional update: the penalty job and a fix race on status=open; one wins.
        updated = Notice.objects.filter(pk=notice.pk, status=Notice.Status.OPEN).update(
            status=new_status,
            fixed_at=at,
            fix_reason=reason[:32],
            fix_source_id=source_id[:64],
            closed_at=now,
        )
        if not updated:
            return False
        before = _snapshot(notice)
        notice.refresh_from_db()
        audit_record(
            actor=None,
            actor_label=SYSTEM,
            action="notice.fix",
            obj=notice,
            before=before,
            after=_snapshot(notice) | {"source_id": source_id},
        )
        webhook_enqueue(notice=notice, event="notice.fixed")
    return True


def notice_close(*, notice: Notice, reason: str, by: Any = None) -> Notice:
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
    return notice


MAX_PHOTO_BYTES = 8 * 1024 * 1024


def notice_fix_report(
    *, notice: Notice, by: Any, photo: UploadedFile | None = None, note: str = ""
) -> Notice:
    """A maintenance worker reports the bike moved (optional photo). The notice closes only
    when MDS evidence confirms it; the report is kept as supporting evidence."""
    if notice.status != Notice.Status.OPEN:
        raise Conflict("notice_not_open", _("该提醒已不是待整改状态。"))
    if photo is not None:
        if photo.size and photo.size > MAX_PHOTO_BYTES:
            raise DomainError("photo_too_large", _("照片不能超过 8 MB。"))
        if (photo.content_type or "").split("/")[0] != "image":
            raise DomainError("photo_not_image", _("请上传图片文件。"))
    with transaction.atomic():
        locked = Notice.objects.select_for_update().get(pk=notice.pk)
        locked.fix_reported_at = timezone.now()
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
    return locked
