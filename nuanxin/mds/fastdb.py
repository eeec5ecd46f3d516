"""Bulk writes without per-object ORM cost: executemany with values adapted per vendor.

Used by the ingest hot path only. Columns are given by model field name; values must already
have the Python type of the field (UUID, aware UTC datetime, JSON-able object, number, str).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db import connection, models

from nuanxin.lib.transactions import in_code_transaction


def _identity(v: Any) -> Any:
    return v


class RawJson(str):
    """JSON text already serialised (written as is, never encoded twice)."""


# A str subclass is not bound directly by sqlite3: without a registered adapter each value
# costs a raised and discarded AttributeError (see nuanxin.core.sqlite_writer.base).
sqlite3.register_adapter(RawJson, str)


def _RawJsonb(text: str) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(text, dumps=lambda t: t)


_ADAPTERS: dict[str, dict[str, Callable[[Any], Any]]] = {}


def _adapters() -> dict[str, Callable[[Any], Any]]:
    found = _ADAPTERS.get(connection.vendor)
    if found is None:
        found = _ADAPTERS[connection.vendor] = _make_adapters()
    return found


_EMPTY_LIST = "[]"
DATETIME_TEXTS_KEPT = 8192  # a few batches' worth of distinct instants


def json_text(value: Any) -> str:
    """Compact JSON text (UTF-8, no ASCII escaping), as json.dumps(…, ensure_ascii=False)."""
    if isinstance(value, list) and not value:
        return _EMPTY_LIST
    return orjson.dumps(value).decode()


def _make_adapters() -> dict[str, Callable[[Any], Any]]:
    if connection.vendor == "sqlite":
        # An ingest batch writes each instant several times (the event, the bike's state, the
        # decision, the parking state): the text of recent values is kept, keyed by value.
        texts: dict[datetime, str] = {}
        # "YYYY-MM-DD HH:MM:" by minute: a batch's instants share a few dozen minutes, and
        # isoformat (C printf, ~2 µs) cost twice the prefix look-up and the seconds' format.
        minutes: dict[tuple[int, int, int, int, int], str] = {}

        def dt(v: datetime | None) -> str | None:
            # Same text Django's SQLite backend writes (USE_TZ: the UTC wall time, no offset;
            # no fraction when the microseconds are 0, as str(datetime) writes it).
            if v is None:
                return None
            text = texts.get(v)
            if text is not None:
                return text
            if v.tzinfo is UTC:  # the hot path
                minute = (v.year, v.month, v.day, v.hour, v.minute)
                prefix = minutes.get(minute)
                if prefix is None:
                    if len(minutes) >= DATETIME_TEXTS_KEPT:
                        minutes.clear()
                    prefix = minutes[minute] = v.isoformat(" ")[:17]
                us = v.microsecond
                text = f"{prefix}{v.second:02d}.{us:06d}" if us else f"{prefix}{v.second:02d}"
            elif v.tzinfo is not None:
                text = str(v.astimezone(UTC).replace(tzinfo=None))
            else:
                text = str(v)
            if len(texts) >= DATETIME_TEXTS_KEPT:
                texts.clear()
            texts[v] = text
            return text

        return {
            # Django's SQLite UUIDField column holds the 32 hex digits; ids may come as
            # UUID objects or as canonical text (the ingest hot path).
            "uuid": lambda v: (
                None if v is None else (v.hex if isinstance(v, uuid.UUID) else v.replace("-", ""))
            ),
            "datetime": dt,
            # Exact str: sqlite3 binds it directly, where a RawJson (a str subclass) goes
            # through the adapter lookup and a copy, inside the write lock. None is SQL NULL,
            # as Django writes None to a JSONField (not the JSON text null).
            "json": lambda v: (
                None if v is None else str(v) if isinstance(v, RawJson) else json_text(v)
            ),
            # Text that is JSON already (an exact str): bound as it is.
            "json_text": _identity,
        }

    return {
        "uuid": lambda v: uuid.UUID(v) if isinstance(v, str) else v,
        "datetime": _identity,
        "json": lambda v: (
            None if v is None else _RawJsonb(v if isinstance(v, RawJson) else json_text(v))
        ),
        "json_text": _RawJsonb,
    }


def _kind(field: models.Field) -> str:
    if isinstance(field, models.UUIDField):
        return "uuid"
    if isinstance(field, models.DateTimeField):
        return "datetime"
    if isinstance(field, models.JSONField):
        return "json"
    return "plain"


@dataclass(frozen=True, slots=True)
class Prepared:
    """An executemany ready to run: SQL and adapted rows. Built before the write
    transaction, so that the lock is held for the database work only."""

    sql: str
    params: list[list[Any]]

    def run(self) -> int:
        """Run it; the rows it changed (an INSERT's conflicts skipped count none)."""
        return bulk_execute(self.sql, self.params)


def bulk_insert_sql(
    model: type[models.Model], fields: Sequence[str], *, ignore_conflicts: bool = True
) -> str:
    """The INSERT statement of `bulk_insert_prepare`, for callers that adapt their rows
    themselves (with `adapter`) as they build them."""
    meta = model._meta
    columns = [
        connection.ops.quote_name(str(meta.get_field(name).column))  # type: ignore[union-attr]
        for name in fields
    ]
    table = connection.ops.quote_name(meta.db_table)
    placeholders = ", ".join(["%s"] * len(columns))
    # ON CONFLICT (not SQLite's OR IGNORE, which would also swallow NOT NULL violations).
    suffix = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders}){suffix}"


def bulk_insert_prepare(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    ignore_conflicts: bool = True,
) -> Prepared:
    """The INSERT of `bulk_insert`, adapted but not run."""
    meta = model._meta
    adapters = _adapters()
    convert = [
        adapters.get(_kind(meta.get_field(name)), _identity)  # type: ignore[arg-type]
        for name in fields
    ]
    sql = bulk_insert_sql(model, fields, ignore_conflicts=ignore_conflicts)
    rows = list(rows)
    if not rows or all(c is _identity for c in convert):
        return Prepared(sql, [list(row) for row in rows])
    # Column by column: map() over a column costs about half the per-row Python loop.
    columns_of: list[Any] = list(zip(*rows, strict=True))
    for i, c in enumerate(convert):
        if c is not _identity:
            columns_of[i] = map(c, columns_of[i])
    return Prepared(sql, list(map(list, zip(*columns_of, strict=True))))


def bulk_insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    ignore_conflicts: bool = True,
) -> int:
    """INSERT the rows (one tuple per row, in `fields` order); duplicates of a unique key are
    skipped when ignore_conflicts (a concurrent request stored the same id first). Returns
    the rows stored."""
    return bulk_insert_prepare(model, fields, rows, ignore_conflicts=ignore_conflicts).run()


def bulk_execute(sql: str, params: Sequence[Sequence[Any]]) -> int:
    """Run `sql` once per row of `params`: executemany, one prepared statement. On SQLite it
    is stepped per row; on PostgreSQL it goes through a cursor that binds on the server
    (`_server_cursor`), in pipeline mode, so the server plans it once. Returns the rows
    changed, summed over `params` (both drivers sum executemany's row counts)."""
    if not params:
        return 0
    if connection.vendor == "postgresql":
        with connection.wrap_database_errors, _server_cursor() as cursor:
            cursor.executemany(sql, params)
            return int(cursor.rowcount)
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
        return int(cursor.rowcount)


def _server_cursor() -> Any:
    """A psycopg cursor on Django's connection (in its transaction) that sends parameters
    separately from the statement. Django's psycopg cursors bind on the client: each row of
    an executemany became its own statement text, parsed and planned by the server, and a
    long statement (multi-row VALUES, a 900-item IN list) was re-split by psycopg's query
    parser on every call (≈ 13 ms for a 1,000-row INSERT), since it caches only short ones.
    Callers wrap it in `connection.wrap_database_errors`, so errors are Django's own."""
    import psycopg

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)  # type: ignore[arg-type]


def uuid_key(value: uuid.UUID | str) -> str:
    """The 32 hex digits of a UUID given as an object or as text (dict keys across both)."""
    return value.hex if isinstance(value, uuid.UUID) else value.replace("-", "").lower()


def adapt(kind: str, value: Any) -> Any:
    """Adapt one value ("uuid", "datetime", "json") for hand-written SQL."""
    return _adapters().get(kind, _identity)(value)


def adapter(kind: str) -> Callable[[Any], Any]:
    """The adapter for one kind, to call in a loop without looking it up each time."""
    return _adapters().get(kind, _identity)


def ids_reserve(model: type[models.Model], count: int) -> list[int]:
    """`count` fresh primary keys for rows the caller inserts itself (executemany returns no ids).

    Call inside the transaction that inserts them. On SQLite the transaction holds the
    database's only write lock (IMMEDIATE), so max(id) + 1 … is ours alone; on PostgreSQL
    the ids come from the column's own sequence, as Django's inserts would take them.
    """
    if count <= 0:
        return []
    if connection.vendor == "sqlite" and not in_code_transaction(connection):
        # Outside a transaction another process could take the same max(id) + 1.
        raise RuntimeError("ids_reserve needs the inserting transaction (transaction.atomic)")
    table = model._meta.db_table
    pk = model._meta.pk.column  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # sqlite_sequence remembers ids of deleted rows too (AUTOINCREMENT): never reuse one.
        cursor.execute(
            f'SELECT MAX(COALESCE(MAX("{pk}"), 0), '
            f'COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0)) FROM "{table}"',
            [table],
        )
        top = int(cursor.fetchone()[0])
    return list(range(top + 1, top + 1 + count))


_IN_IDS = " IN ({ids})"
_IN_JSON = " IN (SELECT value FROM json_each(%s))"
_JSON_SCALARS = frozenset((int, str))  # what json_each gives back as the same SQLite value


def select_in(
    sql: str, values: Sequence[Any], *, params: Sequence[Any] = (), chunk: int = 900
) -> list[tuple]:
    """Run `sql`, whose `{ids}` stands for an IN list, over `values`; `params` fill the `%s`
    placeholders before it. All rows back. `x IN ({ids})` runs once: on PostgreSQL as
    `x = ANY(%s)` with the values as one array, on SQLite over `json_each` of them as one
    JSON array (ints and strs; other values go in chunks of `chunk` placeholders)."""
    if not values:
        return []
    if connection.vendor == "postgresql" and _IN_IDS in sql:
        # One statement with an array parameter: short, so psycopg's parse is cached and
        # the server plans it once.
        with connection.wrap_database_errors, _server_cursor() as cursor:
            cursor.execute(sql.replace(_IN_IDS, " = ANY(%s)"), [*params, list(values)])
            return cursor.fetchall()
    if connection.vendor == "sqlite" and _IN_IDS in sql and set(map(type, values)) <= _JSON_SCALARS:
        # One statement with the values as one JSON array parameter: its text is the same
        # for every batch, so sqlite3's statement cache prepares it once, where an IN list
        # of placeholders was a new statement for each length, parsed and prepared (and
        # scanned by Django's placeholder regex) on every call, inside the write lock.
        with connection.cursor() as cursor:
            cursor.execute(sql.replace(_IN_IDS, _IN_JSON), [*params, json_text(list(values))])
            return cursor.fetchall()
    out: list[tuple] = []
    for start in range(0, len(values), chunk):
        part = list(values[start : start + chunk])
        with connection.cursor() as cursor:
            cursor.execute(sql.format(ids=", ".join(["%s"] * len(part))), [*params, *part])
            out.extend(cursor.fetchall())
    return out


def datetime_select(column: str) -> str:
    """`column` (a DateTimeField) in a raw SELECT, read back in the form the "datetime"
    `adapter` writes, so that the two compare in Python: on SQLite its stored text (CAST
    skips the backend's converter, which parses each value with a regex), on PostgreSQL
    the aware datetime as is."""
    return f"CAST({column} AS TEXT)" if connection.vendor == "sqlite" else column


def as_aware(value: Any) -> Any:
    """A datetime read by raw SQL: SQLite gives naive UTC, PostgreSQL aware."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
