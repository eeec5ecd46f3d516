"""Django's SQLite backend, with write transactions queued on an OS file lock.

SQLite allows one writer at a time. A second process that wants to write waits in SQLite's
busy handler, which sleeps 1, 2, 5, 10 … up to 100 ms between tries, so under contention
the database sits idle while writers sleep: two gunicorn workers ingesting MDS batches
stored half as many events per second as one. Here every `BEGIN IMMEDIATE` first takes an
exclusive flock on `<database>.writer.lock` and keeps it until COMMIT or ROLLBACK; a waiting
writer is woken within about a millisecond of the lock coming free.

Checkpoints (copying the WAL back into the database file) also run outside the queue:
automatic checkpoints run inside the COMMIT that crosses the threshold, that is while the
writer lock is held, so every few batches one writer stalled all the others for the copy
and its fsync. Here, after releasing the lock, a process runs a PASSIVE checkpoint at most
every `SQLITE_CHECKPOINT_INTERVAL_MS` (default 1000 ms: a page rewritten by several
commits is copied once per checkpoint, so under ingest load a 1 s interval copied about 40 %
fewer pages than 200 ms); passive checkpoints never block readers or writers. SQLite's own automatic checkpoint stays on, at a higher threshold
(settings.py), as the backstop. When `manage.py worker` runs, it checkpoints instead
(`checkpoint_now`, the job `core.sqlite_checkpoint`): it leaves the mark file
`<database>.checkpointed`, and a web process that finds the mark fresh skips its own
checkpoint, whose copy and fsyncs (≈ 80 ms each second under ingest load) then no longer
take a web worker away from its requests; the worker runs them below the web workers' CPU
priority. A mark older than `CHECKPOINT_MARK_FRESH_INTERVALS` intervals (the worker stopped
or starved) hands the checkpoints back to the web processes.

The lock is only a queue in front of SQLite's own locking, never a replacement for it:
correctness still rests on SQLite. The OS drops the lock when a process dies, so a killed
worker never leaves it held. In-memory databases (tests) are not shared between processes
and skip it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import time
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

from nuanxin.lib.env import envint

# CPython 3.11's sqlite3 binds exact int, float, str and bytes directly; every other value,
# None and bool included, goes through its adapter lookup, which first asks the protocol
# type for `__adapt__` and builds, formats and discards an AttributeError each time: about
# 2,000 instructions per parameter, 4 % of an ingest batch. A registered adapter is found
# in a dict first. Both bind exactly what the fallback bound: NULL, and 0 or 1.
# None's adapter is `{}.get`, a C method that returns None for any key: measured 6 % faster
# than a Python lambda over an executemany of ingest-like rows.
_none_to_null: dict[None, None] = {}
sqlite3.register_adapter(type(None), _none_to_null.get)
sqlite3.register_adapter(bool, int)


def checkpoint_interval_s() -> float:
    return envint("SQLITE_CHECKPOINT_INTERVAL_MS", 1000) / 1000


CHECKPOINT_MARK_FRESH_INTERVALS = 3


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_fd: int | None = None
    _writer_held = False
    _checkpointed_at = 0.0

    def _writer_lock_path(self) -> str | None:
        if self.is_in_memory_db():
            return None
        return f"{self.settings_dict['NAME']}.writer.lock"

    def _writer_acquire(self) -> None:
        path = self._writer_lock_path()
        if path is None or self._writer_held:
            return
        if self._writer_fd is None:
            self._writer_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        deadline = time.monotonic() + timeout
        pause = 0.0002
        while True:
            try:
                fcntl.flock(self._writer_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OperationalError("database is locked (writer queue)") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.002)
        self._writer_held = True

    def _writer_release(self) -> None:
        if self._writer_held and self._writer_fd is not None:
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)
        self._writer_held = False

    def _start_transaction_under_autocommit(self) -> None:
        self._writer_acquire()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._writer_release()
            raise

    def _commit(self) -> Any:
        try:
            result = super()._commit()  # type: ignore[misc]
        finally:
            was_writer = self._writer_held
            self._writer_release()
        if was_writer:
            self._checkpoint_passive()
        return result

    def _checkpoint_passive(self) -> None:
        now = time.monotonic()
        interval = checkpoint_interval_s()
        if now - self._checkpointed_at < interval or self.connection is None:
            return
        self._checkpointed_at = now
        if self._checkpoint_mark_fresh(interval):
            return  # the background worker keeps the WAL short (`checkpoint_now`)
        self._checkpoint_run()

    def _checkpoint_run(self) -> None:
        # Busy means another process is checkpointing: it does the work.
        with contextlib.suppress(sqlite3.Error):
            self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _checkpoint_mark_path(self) -> str | None:
        if self.is_in_memory_db():
            return None
        return f"{self.settings_dict['NAME']}.checkpointed"

    def _checkpoint_mark_fresh(self, interval: float) -> bool:
        path = self._checkpoint_mark_path()
        if path is None:
            return False
        try:
            age = time.time() - os.stat(path).st_mtime
        except OSError:
            return False
        return age < CHECKPOINT_MARK_FRESH_INTERVALS * max(interval, 1.0)

    def checkpoint_now(self) -> bool:
        """A PASSIVE checkpoint now, and the mark that tells the web processes to leave
        theirs to this one (the worker's `core.sqlite_checkpoint` job). False for an
        in-memory database or inside a transaction, where there is nothing to do."""
        path = self._checkpoint_mark_path()
        if path is None or self.in_atomic_block or not self.get_autocommit():
            return False
        self._checkpoint_run()
        with open(path, "a"):
            os.utime(path)
        return True

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._writer_release()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._writer_release()
            if self._writer_fd is not None:
                os.close(self._writer_fd)
                self._writer_fd = None
