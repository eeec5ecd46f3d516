"""Django's SQLite backend, with write transactions queued on an OS file lock.

SQLite allows one writer at a time. A second process that wants to write waits in SQLite's
busy handler, which sleeps 1, 2, 5, 10 … up to 100 ms between tries, so under contention
the database sits idle while writers sleep: two gunicorn workers ingesting MDS batches
stored half as many events per second as one. Here every `BEGIN IMMEDIATE` first takes an
exclusive flock on `<database>.writer.lock` and keeps it until COMMIT or ROLLBACK; a waiting
writer is woken within about a millisecond of the lock coming free.

The lock is only a queue in front of SQLite's own locking, never a replacement for it:
correctness still rests on SQLite. The OS drops the lock when a process dies, so a killed
worker never leaves it held. In-memory databases (tests) are not shared between processes
and skip it.
"""

from __future__ import annotations

import fcntl
import os
import time
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_fd: int | None = None
    _writer_held = False

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
            return super()._commit()  # type: ignore[misc]
        finally:
            self._writer_release()

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
