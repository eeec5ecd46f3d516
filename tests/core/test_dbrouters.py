"""Report reads go to the read replica when one is configured, and nowhere else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connections

from nuanxin.core.dbrouters import REPLICA, ReportsReplicaRouter, report_db, reports_on_replica
from nuanxin.orgs.models import District


def test_without_a_replica_everything_stays_on_the_primary() -> None:
    router = ReportsReplicaRouter()
    assert report_db() == "default"
    with reports_on_replica() as alias:
        assert alias == "default"
        assert router.db_for_read(District) is None
    assert router.db_for_write(District) == "default"


@pytest.fixture
def replica_alias() -> Iterator[str]:
    """A configured (never opened) "replica" alias, as DATABASE_REPLICA_URL would add."""
    connections.settings[REPLICA] = dict(connections.settings["default"], NAME="replica")
    try:
        yield REPLICA
    finally:
        del connections.settings[REPLICA]


def test_with_a_replica_only_report_blocks_read_there(replica_alias: str) -> None:
    router = ReportsReplicaRouter()
    assert report_db() == REPLICA
    assert router.db_for_read(District) is None  # ordinary reads: the primary
    with reports_on_replica() as alias:
        assert alias == REPLICA
        assert router.db_for_read(District) == REPLICA
        assert router.db_for_write(District) == "default"  # writes never go there
        assert router.allow_migrate(REPLICA, "orgs") is False
    assert router.db_for_read(District) is None  # the block ended


def test_the_report_flag_does_not_leak_between_threads(replica_alias: str) -> None:
    import threading

    router = ReportsReplicaRouter()
    seen: list[str | None] = []
    with reports_on_replica():
        worker = threading.Thread(target=lambda: seen.append(router.db_for_read(District)))
        worker.start()
        worker.join()
    assert seen == [None]
