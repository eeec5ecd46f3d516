"""The scan page's SQLite fast path: a long-lived read-only connection sees revocations at once.

The test database is in memory, so the fast path is exercised here against a small on-disk
SQLite file with the two tables it reads."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from nuanxin.doorcodes import selectors
from nuanxin.doorcodes.tokens import token_make

# The reader under test exists only when the platform runs on SQLite; on PostgreSQL the
# fast path uses Django's persistent connection, covered by the scan page's own tests.
pytestmark = pytest.mark.skipif(
    "sqlite" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="SQLite-only fast path",
)


@pytest.fixture
def disk_db(tmp_path: Path, settings: Any, monkeypatch: Any) -> Any:
    path = tmp_path / "db.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE merchants_merchant (id INTEGER PRIMARY KEY, status TEXT)")
    db.execute(
        "CREATE TABLE doorcodes_doorcode (id INTEGER PRIMARY KEY, code_id TEXT UNIQUE, "
        "version INTEGER, revoked_at TEXT, merchant_id INTEGER)"
    )
    db.execute("INSERT INTO merchants_merchant VALUES (7, 'active')")
    db.execute("INSERT INTO doorcodes_doorcode VALUES (1, 'abcdefgh', 1, NULL, 7)")
    settings.TESTING = False
    monkeypatch.setattr(selectors, "_database_file", lambda: str(path))
    monkeypatch.setattr(selectors, "_reader", type(selectors._reader)())
    yield db
    reader = getattr(selectors._reader, "conn", None)
    if reader is not None:
        reader.close()
    db.close()


def test_the_fast_path_sees_revocation_and_closure_at_once(disk_db: Any) -> None:
    token = token_make(code_id="abcdefgh", version=1)
    assert selectors.door_code_is_live(token) == 7
    assert selectors._sqlite_reader() is not None  # the long-lived reader is in use
    disk_db.execute("UPDATE doorcodes_doorcode SET revoked_at = '2026-11-28' WHERE id = 1")
    assert selectors.door_code_is_live(token) is None
    disk_db.execute("UPDATE doorcodes_doorcode SET revoked_at = NULL WHERE id = 1")
    assert selectors.door_code_is_live(token) == 7
    disk_db.execute("UPDATE merchants_merchant SET status = 'closed' WHERE id = 7")
    assert selectors.door_code_is_live(token) is None


def test_the_fast_path_refuses_forged_and_stale_tokens(disk_db: Any) -> None:
    assert selectors.door_code_is_live(token_make(code_id="abcdefgh", version=2)) is None
    assert selectors.door_code_is_live("abcdefgh.1.AAAAAAAAAAAAAAAA") is None
    assert selectors.door_code_is_live("junk") is None


def test_the_reader_is_read_only(disk_db: Any) -> None:
    selectors.door_code_is_live(token_make(code_id="abcdefgh", version=1))
    reader = selectors._sqlite_reader()
    assert reader is not None
    with pytest.raises(sqlite3.OperationalError):
        reader.execute("DELETE FROM doorcodes_doorcode")
