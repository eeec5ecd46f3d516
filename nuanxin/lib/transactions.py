"""Whether the code itself has opened a transaction, as opposed to a test case's wrapper.

Services that must run inside their caller's transaction (the audit chain's appends, number
allocation) check it. `connection.in_atomic_block` alone is also true inside the atomic
block each database test runs in, so a service that forgot its transaction passed every
such test and failed only for real: `manage.py mds_reevaluate` did, until session 11.
Django marks a test case's blocks (`Atomic._from_testcase`, as its own `durable` check
does); only blocks opened by the code count here.
"""

from __future__ import annotations

from typing import Any


def in_code_transaction(connection: Any) -> bool:
    """True inside an atomic block opened by the code, not only by a test case."""
    return connection.in_atomic_block and not all(
        getattr(block, "_from_testcase", False) for block in connection.atomic_blocks
    )
