"""Fixes confirmed from evidence: each open notice answered at most once, racing the
penalty job on its status (see `notices_fix_many`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone

from nuanxin.audit.services import AuditItem, audit_record_many
from nuanxin.compliance.config import loop_config
from nuanxin.notices.episodes import decisions_requeue_after
from nuanxin.notices.models import Notice
from nuanxin.notices.webhooks import WEBHOOK_RELATED, webhooks_enqueue_many

SYSTEM = "system:notices"

__all__ = ["SYSTEM", "FixEvidence", "notice_fix", "notices_fix_many"]


def _snapshot(n: Notice) -> dict[str, Any]:
    return {
        "status": n.status,
        "fixed_at": n.fixed_at,
        "fix_reason": n.fix_reason,
        "late_fix_at": n.late_fix_at,
    }


def notice_fix(*, notice: Notice, at: datetime, reason: str, source_id: str) -> bool:
    """Confirm a fix from evidence timestamped `at` (see `notices_fix_many`).
    Returns True when the notice was fixed."""
    return notices_fix_many(evidence=[FixEvidence(notice, at, reason, source_id)])[0]


class FixEvidence(NamedTuple):
    """Evidence that an open notice's bike was moved or parked well, timestamped `at`."""

    notice: Notice
    at: datetime
    reason: str
    source_id: str


def notices_fix_many(*, evidence: Sequence[FixEvidence]) -> list[bool]:
    """Confirm fixes, judged on each piece of evidence's own time: it counts when `at` ≤
    deadline + clock-skew tolerance. Later evidence (of a violation) is recorded as a late
    fix and the penalty goes ahead. True for each notice fixed (or, for a confirmation,
    closed); the notices fixed are refreshed in place.

    A fixed number of statements for any number of notices: one conditional UPDATE …
    RETURNING per kind of outcome claims the rows still open (the penalty job races on
    status=open, and exactly one of them wins), one SELECT reloads the fixed ones with what
    their webhook payload shows, one audit append, one webhook INSERT."""
    if not evidence:
        return []
    skew = timedelta(seconds=loop_config().clock_skew_seconds)
    now = timezone.now()
    is_late = [
        e.notice.kind == Notice.Kind.VIOLATION and not e.notice.counts_as_fixed_at(e.at, skew)
        for e in evidence
    ]
    late = [e for e, x in zip(evidence, is_late, strict=True) if x]
    on_time = [e for e, x in zip(evidence, is_late, strict=True) if not x]
    items: list[AuditItem] = []
    with transaction.atomic():
        claimed = _claim(
            "late_fix_at = {late_fix_at}",
            {"late_fix_at": [(e.notice.pk, e.at) for e in late]},
            extra_where="late_fix_at IS NULL",
        )
        for e in late:
            if e.notice.pk in claimed:
                items.append(
                    AuditItem(
                        action="notice.late_fix",
                        obj=e.notice,
                        after={"evidence_at": e.at, "reason": e.reason, "source_id": e.source_id},
                    )
                )
        claimed = _claim(
            "status = CASE WHEN kind = %s THEN %s ELSE %s END, closed_at = %s, "
            "fixed_at = {fixed_at}, fix_reason = {fix_reason}, fix_source_id = {fix_source_id}",
            {
                "fixed_at": [(e.notice.pk, e.at) for e in on_time],
                "fix_reason": [(e.notice.pk, e.reason[:32]) for e in on_time],
                "fix_source_id": [(e.notice.pk, e.source_id[:64]) for e in on_time],
            },
            params=[
                Notice.Kind.VIOLATION.value,
                Notice.Status.FIXED.value,
                Notice.Status.CLOSED.value,
                connection.ops.adapt_datetimefield_value(now),
            ],
        )
        fixed = _reloaded([e.notice for e in on_time if e.notice.pk in claimed])
        for e in on_time:
            if e.notice.pk in claimed:
                before = _snapshot(e.notice)
                _copy_fields(fixed[e.notice.pk], into=e.notice)
                items.append(
                    AuditItem(
                        action="notice.fix",
                        obj=e.notice,
                        before=before,
                        after=_snapshot(e.notice) | {"source_id": e.source_id},
                    )
                )
        audit_record_many(items=items, actor_label=SYSTEM)
        answered = [fixed[e.notice.pk] for e in on_time if e.notice.pk in claimed]
        webhooks_enqueue_many(notices=answered, event="notice.fixed")
        decisions_requeue_after(notices=answered, now=now)
    return [not x and e.notice.pk in claimed for e, x in zip(evidence, is_late, strict=True)]


CLAIM_CHUNK = 200  # notices per UPDATE (each brings a few parameters; SQLite allows 32766)


def _claim(
    assignments: str,
    values: dict[str, list[tuple[int, Any]]],
    *,
    params: Sequence[Any] = (),
    extra_where: str = "",
) -> set[int]:
    """UPDATE the open notices named in `values` (per-row values set by `CASE id`), and
    return the ids it changed: a row no longer open (penalised, fixed meanwhile) is left
    alone. `assignments` holds `{column}` placeholders for the per-row values."""
    ids = [pk for pk, _v in next(iter(values.values()))]
    table = Notice._meta.db_table
    claimed: set[int] = set()
    for lo in range(0, len(ids), CLAIM_CHUNK):
        part = ids[lo : lo + CLAIM_CHUNK]
        cases, case_params = {}, []
        for column, rows in values.items():
            field = Notice._meta.get_field(column)
            assert isinstance(field, Field)
            chunk = rows[lo : lo + CLAIM_CHUNK]
            then = "%s"
            if connection.vendor == "postgresql":  # a CASE of untyped literals would be text
                then = f"CAST(%s AS {field.db_type(connection)})"
            cases[column] = "CASE id " + f"WHEN %s THEN {then} " * len(chunk) + "END"
            for pk, value in chunk:
                case_params += [pk, field.get_db_prep_save(value, connection)]
        # Placeholders in SET come before those of WHERE: `params`, then the cases, in the
        # order of `values` (which must be the order of the `{column}`s in `assignments`).
        sql_set = assignments.format(**cases)
        where = f"id IN ({', '.join(['%s'] * len(part))}) AND status = %s"
        if extra_where:
            where += f" AND {extra_where}"
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {sql_set} WHERE {where} RETURNING id",
                [*params, *case_params, *part, Notice.Status.OPEN.value],
            )
            claimed.update(pk for (pk,) in cursor.fetchall())
    return claimed


def _reloaded(notices: list[Notice]) -> dict[int, Notice]:
    """The notices as now stored, with the relations their webhook payload reads."""
    if not notices:
        return {}
    # No ORDER BY (the model's default ordering costs more to compile than the rows to read).
    return (
        Notice.objects.select_related(*WEBHOOK_RELATED).order_by().in_bulk([n.pk for n in notices])
    )


def _copy_fields(source: Notice, *, into: Notice) -> None:
    """`refresh_from_db` without the query: the stored row was just read into `source`."""
    for f in Notice._meta.concrete_fields:
        setattr(into, f.attname, getattr(source, f.attname))
