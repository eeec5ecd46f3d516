from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone

from nuanxin.audit.models import AuditEvent, AuditHead
from nuanxin.lib.transactions import in_code_transaction

GENESIS = "0" * 64
_HEAD_TABLE = AuditHead._meta.db_table


def _normalise(value: Any) -> Any:
    """Round-trip through JSON so what we hash is exactly what the database returns."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def audit_row_hash(event: AuditEvent) -> str:
    payload = {
        "seq": event.seq,
        "at": event.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "before": event.before,
        "after": event.after,
        "source_ip": event.source_ip,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    source_ip: str | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one row to the audit chain. Must run inside the caller's transaction.

    `actor` is a User, or None for the system (give `actor_label`, e.g. "system:worker"
    or "operator:hellobike").
    """
    if not in_code_transaction(connection):
        raise RuntimeError("audit_record must be called inside the service's transaction")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id == "" else object_id
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = actor_label or (user.get_username() if user is not None else "system")
    last_seq, last_hash = _head_take()
    event = AuditEvent(
        seq=last_seq + 1,
        at=timezone.now(),
        actor=user,
        actor_label=label[:150],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=(str(obj) if obj is not None else "")[:200],
        before=_normalise(before),
        after=_normalise(after),
        source_ip=source_ip or None,
        prev_hash=last_hash,
    )
    event.hash = audit_row_hash(event)
    event.save(force_insert=True)
    _head_move(event.seq, event.hash)
    return event


def _head_take() -> tuple[int, str]:
    """The chain's tip (last seq, last hash), locked until the transaction ends. Raw SQL:
    every ingest batch appends inside SQLite's only write lock, where the ORM's
    get_or_create and update cost more than the row itself."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_seq, last_hash FROM {_HEAD_TABLE} WHERE id = 1{lock}")
        row = cursor.fetchone()
    if row is None:  # a new database: the head row is made on the first append
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        return head.last_seq, head.last_hash
    return int(row[0]), row[1]


def _head_move(seq: int, last_hash: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_HEAD_TABLE} SET last_seq = %s, last_hash = %s WHERE id = 1",
            [seq, last_hash],
        )


@dataclass(frozen=True)
class AuditItem:
    """One row for `audit_record_many`."""

    action: str
    obj: models.Model
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def audit_record_many(
    *, items: Sequence[AuditItem], actor_label: str, batch_size: int = 500
) -> int:
    """Append many system rows to the chain with one head lock and bulk inserts.

    Same rows, hashes and order as calling `audit_record` once per item (seq and prev_hash
    chain through the list), for jobs that change hundreds of objects in one transaction.
    Must run inside the caller's transaction: a rollback takes the rows and the head back.
    """
    if not in_code_transaction(connection):
        raise RuntimeError("audit_record_many must be called inside the service's transaction")
    if not items:
        return 0
    seq, prev = _head_take()
    at = timezone.now()
    label = (actor_label or "system")[:150]
    events = []
    for item in items:
        seq += 1
        event = AuditEvent(
            seq=seq,
            at=at,
            actor=None,
            actor_label=label,
            action=item.action,
            object_type=item.obj._meta.label_lower,
            object_id=str(item.obj.pk),
            object_repr=str(item.obj)[:200],
            before=_normalise(item.before),
            after=_normalise(item.after),
            source_ip=None,
            prev_hash=prev,
        )
        event.hash = prev = audit_row_hash(event)
        events.append(event)
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)
    _head_move(seq, prev)
    return len(events)


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The named fields of `obj`, for before/after (foreign keys by id)."""
    data: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        data[name] = getattr(obj, getattr(field, "attname", name))
    return _normalise(data)
