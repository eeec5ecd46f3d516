"""Bulk writes without per-object ORM cost: executemany with values adapted per vendor.

Used by the ingest hot path only. Columns are given by model field name; values must already
have the Python type of the field (UUID, aware UTC datetime, JSON-able object, number, str).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models


def _identity(v: Any) -> Any:
    return v


class RawJson(str):
    """JSON text already serialised (written as is, never encoded twice)."""


def _RawJsonb(text: str) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(text, dumps=lambda t: t)


_ADAPTERS: dict[str, dict[str, Callable[[Any], Any]]] = {}


def _adapters() -> dict[str, Callable[[Any], Any]]:
    found = _ADAPTERS.get(connection.vendor)
    if found is None:
        found = _ADAPTERS[connection.vendor] = _make_adapters()
    return found


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _make_adapters() -> dict[str, Callable[[Any], Any]]:
    if connection.vendor == "sqlite":

        def dt(v: datetime | None) -> str | None:
            # Same text Django's SQLite backend writes for a UTC value (USE_TZ, UTC connection).
            return None if v is None else str(v.replace(tzinfo=None))

        return {
            "uuid": lambda v: None if v is None else (v.hex if isinstance(v, uuid.UUID) else v),
            "datetime": dt,
            "json": lambda v: v if isinstance(v, RawJson) else json_text(v),
        }

    from psycopg.types.json import Jsonb as _Jsonb

    return {
        "uuid": _identity,
        "datetime": _identity,
        "json": lambda v: _RawJsonb(v) if isinstance(v, RawJson) else _Jsonb(v),
    }


def _kind(field: models.Field) -> str:
    if isinstance(field, models.UUIDField):
        return "uuid"
    if isinstance(field, models.DateTimeField):
        return "datetime"
    if isinstance(field, models.JSONField):
        return "json"
    return "plain"


def bulk_insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    ignore_conflicts: bool = True,
) -> None:
    """INSERT the rows (one tuple per row, in `fields` order); duplicates of a unique key are
    skipped when ignore_conflicts (a concurrent request stored the same id first)."""
    meta = model._meta
    adapters = _adapters()
    columns, convert = [], []
    for name in fields:
        f = meta.get_field(name)
        columns.append(connection.ops.quote_name(str(f.column)))  # type: ignore[union-attr]
        convert.append(adapters.get(_kind(f), _identity))  # type: ignore[arg-type]
    table = connection.ops.quote_name(meta.db_table)
    placeholders = ", ".join(["%s"] * len(columns))
    # ON CONFLICT (not SQLite's OR IGNORE, which would also swallow NOT NULL violations).
    verb, suffix = "INSERT", (" ON CONFLICT DO NOTHING" if ignore_conflicts else "")
    sql = f"{verb} INTO {table} ({', '.join(columns)}) VALUES ({placeholders}){suffix}"
    pairs = list(enumerate(convert))
    prepared = [tuple(c(row[i]) for i, c in pairs) for row in rows]
    if not prepared:
        return
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)


def bulk_execute(sql: str, params: Sequence[Sequence[Any]]) -> None:
    if not params:
        return
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def adapt(kind: str, value: Any) -> Any:
    """Adapt one value ("uuid", "datetime", "json") for hand-written SQL."""
    return _adapters().get(kind, _identity)(value)


def adapter(kind: str) -> Callable[[Any], Any]:
    """The adapter for one kind, to call in a loop without looking it up each time."""
    return _adapters().get(kind, _identity)
