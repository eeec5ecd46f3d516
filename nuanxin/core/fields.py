"""Model fields shared by several apps."""

from __future__ import annotations

from typing import Any

from django.db import models


class WrittenJSONField(models.JSONField):
    """JSON that only our own serialisers write (orjson in the ingest hot path, the ORM
    elsewhere): on SQLite, Django's JSONField adds `CHECK (JSON_VALID(col))`, which parses
    every value again on every INSERT and UPDATE. On the ingest tables those checks cost
    about a sixth of each event's insert (four JSON columns per event, one per bike-state
    update), and they could only ever refuse what orjson itself produced. PostgreSQL's
    jsonb validates by type and is unaffected."""

    def db_check(self, connection: Any) -> str | None:
        return None


class RowidOneToOneField(models.OneToOneField):
    """A one-to-one primary key that SQLite keeps as the table's rowid. Django declares a
    key to a BigAutoField `bigint PRIMARY KEY`, and SQLite makes the rowid an alias only
    for a column declared exactly `integer`: otherwise every row also lives in a separate
    unique index, and each lookup by key searches that index and then the table. Same
    64-bit values; other databases keep Django's type."""

    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "sqlite":
            return "integer"
        return super().db_type(connection)


class AppendOnlyAutoField(models.BigAutoField):
    """A BigAutoField without SQLite's AUTOINCREMENT, for the ingest tables (events,
    telemetry, decisions), which gain ~1,000 rows per request. With AUTOINCREMENT, SQLite
    reads and rewrites its `sqlite_sequence` row on every row inserted, 12–15 % of an
    executemany INSERT measured here. Without it a new row takes max(rowid) + 1, so an id
    could be reused only if the newest row were deleted; rows of these tables are only
    ever deleted oldest first (retention) or with their bike, whose decisions and parking
    state go with it, and a decision that a notice refers to cannot be deleted (PROTECT).
    PostgreSQL keeps its identity column."""

    def db_type_suffix(self, connection: Any) -> str | None:
        if connection.vendor == "sqlite":
            return None
        return super().db_type_suffix(connection)
