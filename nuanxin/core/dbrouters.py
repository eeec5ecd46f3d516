"""Send report reads to a read replica when DATABASE_REPLICA_URL is set.

Only code running inside `reports_on_replica()` reads there (the dashboard panels, the
enforcement consistency report, the heat maps); everything else stays on the primary, so a
write followed by a read never sees stale data. Without a replica the context changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

REPLICA = "replica"
_reports: ContextVar[bool] = ContextVar("nuanxin_reports_on_replica", default=False)


def replica_configured() -> bool:
    from django.db import connections

    return REPLICA in connections.settings


class ReportsReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if _reports.get() and replica_configured():
            return REPLICA
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"


@contextmanager
def reports_on_replica() -> Iterator[str]:
    """Reads in this block go to the replica, if there is one; yields the alias used."""
    token = _reports.set(True)
    try:
        yield report_db()
    finally:
        _reports.reset(token)


def report_db() -> str:
    return REPLICA if replica_configured() else "default"
