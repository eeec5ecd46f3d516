from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from nuanxin.audit.models import AuditEvent, AuditHead
from nuanxin.audit.services import GENESIS, audit_row_hash


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    reason: str


def audit_chain_problems(batch_size: int = 5000) -> Iterator[ChainProblem]:
    """Walk the chain in order and yield every break: edits, gaps, reordering, a lost tip."""
    expected_seq = 1
    prev_hash = GENESIS
    last_seq = 0
    qs = AuditEvent.objects.order_by("seq")
    for event in qs.iterator(chunk_size=batch_size):
        if event.seq != expected_seq:
            yield ChainProblem(
                expected_seq, f"row {expected_seq} is missing (next present is {event.seq})"
            )
        if event.prev_hash != prev_hash:
            yield ChainProblem(
                event.seq, "prev_hash does not match the previous row (deleted or reordered)"
            )
        if audit_row_hash(event) != event.hash:
            yield ChainProblem(event.seq, "content does not match its hash (edited)")
        prev_hash = event.hash
        expected_seq = event.seq + 1
        last_seq = event.seq
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and (head.last_seq != last_seq or head.last_hash != prev_hash):
        yield ChainProblem(
            last_seq + 1,
            f"chain ends at {last_seq} but the head records {head.last_seq} (tail deleted)",
        )
