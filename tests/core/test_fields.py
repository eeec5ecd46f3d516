"""Shared model fields: what each one declares to the database, and what it must keep."""

from __future__ import annotations

import pytest
from django.db import connection

from nuanxin.compliance.models import ParkingCheck
from nuanxin.mds.models import MdsEvent, Telemetry

APPEND_ONLY = [MdsEvent, Telemetry, ParkingCheck]


@pytest.mark.django_db
@pytest.mark.parametrize("model", APPEND_ONLY, ids=lambda m: m.__name__)
def test_ingest_tables_take_rowids_without_autoincrement_on_sqlite(model) -> None:
    """SQLite's AUTOINCREMENT rewrites `sqlite_sequence` on every insert; the ingest tables'
    keys are plain rowids there, and PostgreSQL keeps its identity column."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s",
                [model._meta.db_table],
            )
            sql = cursor.fetchone()[0]
            assert '"id" integer NOT NULL PRIMARY KEY' in sql
            assert "AUTOINCREMENT" not in sql.upper()
        else:
            cursor.execute(
                "SELECT is_identity FROM information_schema.columns "
                "WHERE table_name = %s AND column_name = 'id'",
                [model._meta.db_table],
            )
            assert cursor.fetchone()[0] == "YES"
