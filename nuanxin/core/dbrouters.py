"""Send report reads to a read replica when DATABASE_REPLICA_URL is set.

Only code that explicitly asks for `.using("replica")` or runs inside
`reports_on_replica()` reads there; everything else stays on the primary, so a
write followed by a read never sees stale data.
"""

from __future__ import annotations

from typing import Any


class ReportsReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"


def report_db() -> str:
    from django.conf import settings

    return "replica" if "replica" in settings.DATABASES else "default"
