"""The SQLite writer queue: a second writer waits on the lock file, then goes on."""

from __future__ import annotations

import os
import sqlite3
import sys
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


def _in_database_file(path: Path, sql: str) -> list[tuple]:
    """Read the database file alone, ignoring the WAL: what checkpoints have copied back."""
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _handler_without_autocheckpoint(path: Path, *aliases: str) -> ConnectionHandler:
    """Connections to `path` with SQLite's own checkpoint off: only the backend's passive
    ones (or `checkpoint_now`) can copy pages back into the database file."""
    settings = {
        "ENGINE": "nuanxin.core.sqlite_writer",
        "NAME": str(path),
        "OPTIONS": {
            "timeout": 5,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;",
        },
    }
    return ConnectionHandler({alias: dict(settings) for alias in ("default", *aliases)})


def test_commits_checkpoint_passively_after_leaving_the_writer_queue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SQLITE_CHECKPOINT_INTERVAL_MS", "0")
    path = tmp_path / "db.sqlite3"
    handler = _handler_without_autocheckpoint(path, "a")
    a = handler["a"]
    _begin(a)
    with a.cursor() as c:
        c.execute("CREATE TABLE t (n INTEGER)")
        c.execute("INSERT INTO t VALUES (7)")
    _end(a, commit=True)
    assert _in_database_file(path, "SELECT n FROM t") == [(7,)]
    assert a._writer_held is False

    monkeypatch.setenv("SQLITE_CHECKPOINT_INTERVAL_MS", "60000")
    _begin(a)
    with a.cursor() as c:
        c.execute("INSERT INTO t VALUES (8)")
    _end(a, commit=True)
    # Within the interval: committed (in the WAL) but not yet copied back.
    assert _in_database_file(path, "SELECT n FROM t ORDER BY n") == [(7,)]
    with a.cursor() as c:
        c.execute("SELECT n FROM t ORDER BY n")
        assert c.fetchall() == [(7,), (8,)]
    handler.close_all()


def test_web_commits_leave_checkpoints_to_the_worker_while_its_mark_is_fresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`checkpoint_now` (the worker's job) copies the WAL back and leaves the mark; a commit
    elsewhere then skips its own checkpoint, and takes it up again once the mark is stale
    (the worker stopped)."""
    monkeypatch.setenv("SQLITE_CHECKPOINT_INTERVAL_MS", "0")
    path = tmp_path / "db.sqlite3"
    handler = _handler_without_autocheckpoint(path, "web", "worker")
    web, worker = handler["web"], handler["worker"]
    mark = Path(f"{path}.checkpointed")

    _begin(worker)
    with worker.cursor() as c:
        c.execute("CREATE TABLE t (n INTEGER)")
    _end(worker, commit=True)
    assert worker.checkpoint_now() is True and mark.exists()

    _begin(web)
    with web.cursor() as c:
        c.execute("INSERT INTO t VALUES (1)")
    _end(web, commit=True)
    assert _in_database_file(path, "SELECT n FROM t") == []  # left to the worker
    assert worker.checkpoint_now() is True
    assert _in_database_file(path, "SELECT n FROM t") == [(1,)]

    stale = time.time() - 60
    os.utime(mark, (stale, stale))
    _begin(web)
    with web.cursor() as c:
        c.execute("INSERT INTO t VALUES (2)")
    _end(web, commit=True)
    assert _in_database_file(path, "SELECT n FROM t ORDER BY n") == [(1,), (2,)]

    _begin(worker)
    assert worker.checkpoint_now() is False  # never inside a transaction
    _end(worker, commit=False)
    handler.close_all()


def test_the_worker_job_checkpoints_the_database(tmp_path: Path) -> None:
    """`manage.py worker --once --only core.sqlite_checkpoint` on a database file leaves the
    mark (the job is registered by the core app)."""
    import subprocess

    env = {**os.environ, "NUANXIN_VAR_DIR": str(tmp_path), "SECRET_KEY": "test-checkpoint"}
    for name in ("NUANXIN_TESTING", "DATABASE_URL"):
        env.pop(name, None)
    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, "manage.py", "worker", "--once", "--only", "core.sqlite_checkpoint"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert (tmp_path / "nuanxin.sqlite3.checkpointed").exists()


def test_none_bool_and_raw_json_bind_as_before_through_registered_adapters(
    tmp_path: Path,
) -> None:
    """The backend registers adapters for None and bool (and fastdb one for RawJson) so that
    sqlite3 finds them in its adapter dict instead of raising and discarding an
    AttributeError per parameter; what is bound must not change: NULL, 0/1 integers, text."""
    from nuanxin.core.sqlite_writer import base  # noqa: F401  (registers the adapters)
    from nuanxin.mds.fastdb import RawJson

    db = sqlite3.connect(tmp_path / "bind.sqlite3")
    row = db.execute(
        "SELECT ? IS NULL, typeof(?), ?, typeof(?), ?, typeof(?)",
        (None, True, False, RawJson('["a"]'), RawJson('["a"]'), 1.5),
    ).fetchone()
    assert row == (1, "integer", 0, "text", '["a"]', "real")
    for value, adapter in ((None, type(None)), (True, bool), (RawJson("[]"), RawJson)):
        assert (adapter, sqlite3.PrepareProtocol) in sqlite3.adapters, value


MEMSTATUS_PROBE = """
import ctypes, sqlite3, sys
{setup}
path = [l.split()[-1] for l in open("/proc/self/maps") if "/libsqlite3." in l][0]
library = ctypes.CDLL(path)
library.sqlite3_memory_used.restype = ctypes.c_int64
db = sqlite3.connect(":memory:")
db.execute("CREATE TABLE t (x)")
db.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(1000)])
assert db.execute("SELECT count(*) FROM t").fetchone() == (1000,)
print(library.sqlite3_memory_used())
"""


def _memory_used_after(setup: str, **env: str) -> int:
    import subprocess
    import sys

    from django.conf import settings

    out = subprocess.run(
        [sys.executable, "-c", MEMSTATUS_PROBE.format(setup=setup)],
        cwd=settings.BASE_DIR,
        env={**os.environ, "NUANXIN_TESTING": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_process_entry_points_switch_sqlite_memory_statistics_off() -> None:
    """`memstatus_off` (called first thing by nuanxin/wsgi.py and manage.py): SQLite stops
    counting its allocations — nothing left to count under its global mutex — and works as
    before; SQLITE_MEMSTATUS=1 keeps SQLite's default."""
    off = "from nuanxin.core.sqlite_writer.memstatus import memstatus_off\nassert memstatus_off()"
    assert _memory_used_after(off) == 0
    assert _memory_used_after("import nuanxin.wsgi") == 0
    kept = (
        "from nuanxin.core.sqlite_writer.memstatus import memstatus_off\nassert not memstatus_off()"
    )
    assert _memory_used_after(kept, SQLITE_MEMSTATUS="1") > 0
    assert _memory_used_after("pass") > 0  # the system library's own default
