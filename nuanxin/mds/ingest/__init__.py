"""MDS Agency ingest: events, telemetry, trips. The hot path of the bikes platform.

`batch` holds the batch contract, `common` the shared steps, `events` and `telemetry` (with trips)
the three endpoints' services.
"""

from nuanxin.mds.ingest.batch import (
    BatchRefused,
    BulkResult,
    batch_check,
    body_parse,
    body_too_large,
)
from nuanxin.mds.ingest.common import (
    MOVED_EVENT_TYPES,
    PARKED_EVENT_TYPES,
    CityBoundary,
    devices_resolve,
    evaluation_enabled,
)
from nuanxin.mds.ingest.events import events_ingest
from nuanxin.mds.ingest.telemetry import telemetry_ingest, trips_ingest

__all__ = [
    "MOVED_EVENT_TYPES",
    "PARKED_EVENT_TYPES",
    "BatchRefused",
    "BulkResult",
    "CityBoundary",
    "batch_check",
    "body_parse",
    "body_too_large",
    "devices_resolve",
    "evaluation_enabled",
    "events_ingest",
    "telemetry_ingest",
    "trips_ingest",
]
