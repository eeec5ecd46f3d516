"""The background worker keeps SQLite's WAL short (see nuanxin.core.sqlite_writer)."""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from nuanxin.core.jobs import register_job


@register_job("core.sqlite_checkpoint", every_seconds=1.0)
def sqlite_checkpoint(now: datetime) -> int:
    """A passive checkpoint per second, so that the web processes skip theirs. Returns 0:
    nothing to report per run."""
    checkpoint_now = getattr(connection, "checkpoint_now", None)
    if checkpoint_now is not None:
        checkpoint_now()
    return 0
