"""The seam between MDS ingest (bikes/mds apps) and the compliance engine (this app).

Ingest classifies the parking-relevant observations here before it takes the write lock
(`parked_bikes_judge`, pure CPU), then, in the transaction that stores the batch, hands the
judgement and the moved bikes back (`batch_apply`). The compliance team
owns the bodies of these functions; the ingest team only builds the observations and calls
them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from nuanxin.compliance.services import EvaluationSummary, Judgement


class ParkedObservation(NamedTuple):
    """A bike seen parked: after trip_end / provider_drop_off, or in state `available`.
    (A NamedTuple: ingest builds hundreds per request, and a frozen dataclass costs several
    times more to construct.)"""

    bike_id: int
    operator_id: int
    at: datetime
    lat: float
    lng: float
    accuracy_m: float | None  # MDS horizontal_accuracy; None when the operator sent none
    source: str  # "event" or "telemetry"
    source_id: str  # event_id / telemetry_id
    beacon_ids: tuple[str, ...] = ()


class MovedObservation(NamedTuple):
    """Evidence that a parked bike was moved: a pick-up or a new trip."""

    bike_id: int
    operator_id: int
    at: datetime
    reason: str  # "compliance_pick_up", "rebalance_pick_up", "trip_start", ...
    source_id: str


def parked_bikes_evaluate(*, observations: Sequence[ParkedObservation]) -> EvaluationSummary:
    """Classify each parked bike against the spots in force at its time and store the
    decisions with their consequences (compliance team)."""
    from nuanxin.compliance import services

    return services.parked_bikes_evaluate(observations=observations)


def parked_bikes_judge(
    *, observations: Sequence[ParkedObservation], inline: bool = False
) -> Judgement:
    """Classify without writing (no lock needed); store with `judgement_apply`. `inline`
    (events ingest): in-spot decisions are marked `inline` and get no ParkingCheck row; the
    caller keeps each on its event (`MdsEvent.decision`, from `Decision.inline_json`)."""
    from nuanxin.compliance import services

    return services.parked_bikes_judge(observations=observations, inline=inline)


def batch_apply(*, judgement: Judgement | None, moved: Sequence[MovedObservation]) -> None:
    """Store one ingest batch's evaluation, in the caller's transaction (which has just
    inserted the observed events or telemetry rows themselves):
    1. the moved bikes leave their spots, and open notices they answer are fixed;
    2. the judgement's decisions are stored with their consequences: fixes now, new
       notices queued for the notice job (`manage.py worker`);
    3. the overflow alerts of every spot either step touched are refreshed, once."""
    from nuanxin.compliance import services

    stamp = judgement.stamp if judgement is not None else None
    spots: set[int] = set()
    if moved:
        services.bikes_moved(observations=moved, stamp=stamp, overflow_spots=spots)
    if judgement is not None:
        services.judgement_apply(
            judgement=judgement, queue_notices=True, sources_new=True, overflow_spots=spots
        )
    services.overflow_refresh(spot_ids=spots, stamp=stamp)


def bikes_moved(*, observations: Sequence[MovedObservation], stamp: int | None = None) -> None:
    """Close or resolve open parking problems for bikes that were moved (compliance team)."""
    from nuanxin.compliance import services

    services.bikes_moved(observations=observations, stamp=stamp)
