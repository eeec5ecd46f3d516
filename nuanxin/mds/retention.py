"""Retention of the raw MDS records: events, telemetry points and trips.

Ingest keeps every record an operator sends; a city of 20,000 bikes sends hundreds of
thousands a day, and telemetry traces where riders went. The bike policy data
(`retention` in data/bikes/policy.json, a local and replaceable rule citing PIPL Art. 19)
sets how many days after receipt each kind is kept. Past that, `mds_records_prune`
deletes them, oldest first, except the records that are evidence of enforcement: those a
stored compliance decision (`ParkingCheck`, outside or uncertain) or a notice's fix
(`Notice.fix_source_id`) cites. Those stay as long as the decisions and notices do.

The walk follows the primary key, which grows with the time of receipt, and stops at the
first record still inside its period; `PruneMark` remembers how far each kind got, so a
run never reads the kept evidence again. Each chunk is one short transaction (the SQLite
write lock is held for one chunk only, so ingest waits milliseconds, not seconds) with its
own audit row. Several workers may run it at once: deleting a row twice deletes nothing,
and the mark only moves forward.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from django.db import models, transaction
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record
from nuanxin.bikes.policy import bike_policy
from nuanxin.core.errors import DomainError
from nuanxin.mds.fastdb import select_in
from nuanxin.mds.models import MdsEvent, PruneMark, Telemetry, Trip

SYSTEM = "system:retention"


@dataclass(frozen=True)
class RecordKind:
    name: str
    model: type[models.Model]
    key: str  # the MDS id column
    source: str | None  # ParkingCheck.source of decisions on these records
    feeds_heat_maps: bool  # then kept at least as long as the heat maps' longest window


KINDS: dict[str, RecordKind] = {
    "events": RecordKind("events", MdsEvent, "event_id", "event", True),
    "telemetry": RecordKind("telemetry", Telemetry, "telemetry_id", "telemetry", False),
    "trips": RecordKind("trips", Trip, "trip_id", None, True),
}


@dataclass(frozen=True)
class RetentionPolicy:
    days: dict[str, int]
    version: str


class RetentionPolicyInvalid(DomainError):
    pass


@lru_cache(maxsize=1)
def retention_policy() -> RetentionPolicy:
    """The days each kind is kept, checked: a whole number of days, at least one, and for
    events and trips at least the heat maps' longest window."""
    from nuanxin.insight.selectors import MAX_HOUR_DAYS

    policy = bike_policy()
    raw = policy.retention
    days: dict[str, int] = {}
    for kind in KINDS.values():
        name = f"{kind.name}_days"
        value = raw.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise RetentionPolicyInvalid(
                "retention_policy_invalid",
                _("停放政策数据的 retention.%(name)s 须为整数天数，现为 %(value)r。")
                % {"name": name, "value": value},
            )
        least = MAX_HOUR_DAYS if kind.feeds_heat_maps else 1
        if value < least:
            raise RetentionPolicyInvalid(
                "retention_policy_invalid",
                _("停放政策数据的 retention.%(name)s 至少为 %(min)d 天，现为 %(value)d。")
                % {"name": name, "min": least, "value": value},
            )
        days[kind.name] = value
    return RetentionPolicy(days=days, version=policy.version)


@dataclass
class PruneReport:
    deleted: dict[str, int] = field(default_factory=dict)
    kept_as_evidence: dict[str, int] = field(default_factory=dict)
    received_before: dict[str, datetime] = field(default_factory=dict)
    complete: bool = True  # False: the time budget ran out with old records left

    def total(self) -> int:
        return sum(self.deleted.values())


def _cited(kind: RecordKind, keys: list[str]) -> set[str]:
    """Which of these records (canonical UUID text) a decision or a fix cites."""
    from nuanxin.compliance.models import ParkingCheck
    from nuanxin.notices.models import Notice

    cited: set[str] = set()
    if kind.source is not None:
        rows = select_in(
            f"SELECT source_id FROM {ParkingCheck._meta.db_table} "
            "WHERE source = %s AND source_id IN ({ids})",
            keys,
            params=[kind.source],
        )
        cited.update(r[0] for r in rows)
    rows = select_in(
        f"SELECT fix_source_id FROM {Notice._meta.db_table} "
        "WHERE fix_source_id != '' AND fix_source_id IN ({ids})",
        keys,
    )
    cited.update(r[0] for r in rows)
    return cited


def _chunk_prune(
    kind: RecordKind,
    *,
    after_id: int,
    cutoff: datetime,
    rows: int,
    policy: RetentionPolicy,
    dry_run: bool,
) -> tuple[int, int, int, bool]:
    """One chunk: (deleted, kept, last id walked, more old records may follow)."""
    walk = kind.model._default_manager.filter(pk__gt=after_id).order_by("pk")
    oldest = walk.values_list("received_at", flat=True).first()
    if oldest is None or oldest >= cutoff:  # the usual answer, every ten seconds: one row read
        return 0, 0, after_id, False
    found = list(walk.values_list("pk", kind.key, "received_at")[:rows])
    old = []
    for pk, key, received_at in found:
        if received_at >= cutoff:
            break  # ids grow with the time of receipt: the rest are younger still
        old.append((pk, str(key)))
    if not old:
        return 0, 0, after_id, False
    cited = _cited(kind, [key for _pk, key in old])
    doomed = [pk for pk, key in old if key not in cited]
    last = old[-1][0]
    more = len(old) == len(found) == rows
    if dry_run:
        return len(doomed), len(old) - len(doomed), last, more
    with transaction.atomic():
        manager = kind.model._default_manager
        deleted = manager.filter(pk__in=doomed).delete()[0] if doomed else 0
        PruneMark.objects.get_or_create(kind=kind.name)
        PruneMark.objects.filter(kind=kind.name).update(
            through_id=Greatest("through_id", last), updated_at=timezone.now()
        )
        audit_record(
            actor=None,
            actor_label=SYSTEM,
            action="mds.records_prune",
            object_type=kind.model._meta.label_lower,
            object_id=f"{old[0][0]}-{last}",
            after={
                "deleted": deleted,
                "kept_as_evidence": len(old) - len(doomed),
                "received_before": cutoff.isoformat(),
                "retention_days": policy.days[kind.name],
                "policy_version": policy.version,
            },
        )
    return deleted, len(old) - len(doomed), last, more


def mds_records_prune(
    *,
    now: datetime,
    kinds: list[str] | None = None,
    budget_seconds: float | None = None,
    chunk_rows: int = 1000,
    dry_run: bool = False,
) -> PruneReport:
    """Delete the raw records older than their retention period, except cited ones.
    `budget_seconds`: stop starting new chunks after this long (the worker's job gives it a
    fraction of a second; the command none): every kind still walks one chunk per run.
    `dry_run`: count, change nothing. `complete` in the report: no old record was left."""
    unknown = sorted(set(kinds or ()) - set(KINDS))
    if unknown:
        raise DomainError(
            "bad_kind",
            _("未知的数据类别：%(kinds)s（可选 events、telemetry、trips）。")
            % {"kinds": ", ".join(unknown)},
        )
    if chunk_rows < 1:
        raise DomainError("bad_chunk", _("每批条数须为正整数。"))
    policy = retention_policy()
    chosen = [KINDS[k] for k in (kinds or KINDS)]
    report = PruneReport()
    run_started = time.monotonic()
    for position, kind in enumerate(chosen):
        # Each kind gets an equal share of what is left of the budget: a backlog of one never
        # starves the others, and time a kind leaves unused goes to the kinds after it.
        started = time.monotonic()
        share = (
            None
            if budget_seconds is None
            else (budget_seconds - (started - run_started)) / (len(chosen) - position)
        )
        cutoff = now - timedelta(days=policy.days[kind.name])
        report.received_before[kind.name] = cutoff
        report.deleted[kind.name] = report.kept_as_evidence[kind.name] = 0
        # Read only: the mark is written with the chunk that moves it (a dry run writes none).
        mark = PruneMark.objects.filter(kind=kind.name).values_list("through_id", flat=True)
        after_id = mark.first() or 0
        more = True
        while more:  # at least one chunk per kind and run, however small the budget
            deleted, kept, after_id, more = _chunk_prune(
                kind,
                after_id=after_id,
                cutoff=cutoff,
                rows=chunk_rows,
                policy=policy,
                dry_run=dry_run,
            )
            report.deleted[kind.name] += deleted
            report.kept_as_evidence[kind.name] += kept
            if more and share is not None and time.monotonic() - started > share:
                report.complete = False
                break
    return report
