"""The SQLite writer queue: a second writer waits on the lock file, then goes on."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from django.db import OperationalError
from django.db.utils import ConnectionHandler


@pytest.fixture(autouse=True)
def _own_databases(django_db_blocker):  # type: ignore[no-untyped-def]
    """These tests open their own throw-away database files, not the test database."""
    with django_db_blocker.unblock():
        yield


def _handler(path: Path, timeout: float) -> ConnectionHandler:
    settings = {
        "ENGINE": "nuanxin.core.sqlite_writer",
        "NAME": str(path),
        "OPTIONS": {"timeout": timeout, "transaction_mode": "IMMEDIATE"},
    }
    return ConnectionHandler({"default": dict(settings), "a": dict(settings), "b": dict(settings)})


def _begin(conn) -> None:  # type: ignore[no-untyped-def]
    conn.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def _end(conn, *, commit: bool) -> None:  # type: ignore[no-untyped-def]
    conn.commit() if commit else conn.rollback()
    conn.set_autocommit(True)


def test_a_second_writer_waits_for_the_first_to_commit(tmp_path: Path) -> None:
    handler = _handler(tmp_path / "db.sqlite3", timeout=5)
    a = handler["a"]
    with a.cursor() as c:
        c.execute("CREATE TABLE t (n INTEGER)")
    _begin(a)
    with a.cursor() as c:
        c.execute("INSERT INTO t VALUES (1)")
    order: list[str] = []

    def second_writer() -> None:
        b = handler["b"]  # connections belong to their thread
        _begin(b)
        order.append("b began")
        with b.cursor() as c:
            c.execute("INSERT INTO t VALUES (2)")
        _end(b, commit=True)
        b.close()

    t = threading.Thread(target=second_writer)
    t.start()
    time.sleep(0.2)
    assert order == []  # queued behind a's open transaction
    order.append("a commits")
    _end(a, commit=True)
    t.join(5)
    assert order == ["a commits", "b began"]
    with a.cursor() as c:
        c.execute("SELECT n FROM t ORDER BY n")
        assert [r[0] for r in c.fetchall()] == [1, 2]
    handler.close_all()


def test_a_rollback_frees_the_queue_and_a_timeout_is_a_locked_error(tmp_path: Path) -> None:
    handler = _handler(tmp_path / "db.sqlite3", timeout=0.2)
    a, b = handler["a"], handler["b"]
    _begin(a)
    with pytest.raises(OperationalError, match="locked"):
        _begin(b)
    _end(a, commit=False)
    _begin(b)  # the rollback released the lock
    _end(b, commit=True)
    handler.close_all()


def test_closing_a_connection_mid_transaction_releases_the_lock(tmp_path: Path) -> None:
    handler = _handler(tmp_path / "db.sqlite3", timeout=0.2)
    a, b = handler["a"], handler["b"]
    _begin(a)
    a.close()
    _begin(b)
    _end(b, commit=True)
    handler.close_all()
