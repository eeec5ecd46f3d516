"""Pull mode: read an operator's MDS Provider API and ingest it like pushed Agency data.

Reads /events/recent (start_time/end_time in ms), /telemetry and /trips (hourly
`telemetry_time` / `end_time` = YYYY-MM-DDTHH), follows `links.next`, and feeds each page to
the same ingest functions as the Agency API (so validation, idempotency and evaluation are
identical; re-pulling a window stores nothing twice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from nuanxin.bikes.models import Operator
from nuanxin.bikes.policy import bike_policy
from nuanxin.mds.ingest import BulkResult, events_ingest, telemetry_ingest, trips_ingest


@dataclass
class PullReport:
    pages: int = 0
    totals: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, kind: str, result: BulkResult) -> None:
        t = self.totals.setdefault(kind, {"total": 0, "success": 0, "failures": 0})
        t["total"] += result.total
        t["success"] += result.success
        t["failures"] += len(result.failures)


def _pages(client: httpx.Client, url: str, params: dict[str, Any], key: str) -> Iterator[list[Any]]:
    next_url: str | None = url
    first = True
    while next_url:
        response = client.get(next_url, params=params if first else None)
        first = False
        if response.status_code == 404:
            return
        response.raise_for_status()
        body = response.json()
        yield body.get(key) or []
        next_url = (body.get("links") or {}).get("next")


def _hours(since: datetime, until: datetime) -> list[str]:
    hour = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    out = []
    while hour <= until:
        out.append(hour.strftime("%Y-%m-%dT%H"))
        hour += timedelta(hours=1)
    return out


def mds_pull(
    *,
    operator: Operator,
    base_url: str,
    since: datetime,
    until: datetime,
    token: str = "",
    client: httpx.Client | None = None,
) -> PullReport:
    base = base_url.rstrip("/")
    headers = {"Accept": "application/vnd.mds+json;version=2.0"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    own = client is None
    http = client or httpx.Client(timeout=60)
    http.headers.update(headers)
    report = PullReport()
    size = bike_policy().max_batch_items

    def feed(kind: str, items: list[Any], ingest: Callable[..., BulkResult]) -> None:
        for start in range(0, len(items), size):
            report.add(kind, ingest(operator=operator, items=items[start : start + size]))

    try:
        window = {
            "start_time": int(since.timestamp() * 1000),
            "end_time": int(until.timestamp() * 1000),
        }
        for page in _pages(http, f"{base}/events/recent", window, "events"):
            report.pages += 1
            feed("events", page, events_ingest)
        for hour in _hours(since, until):
            for page in _pages(http, f"{base}/telemetry", {"telemetry_time": hour}, "telemetry"):
                report.pages += 1
                feed("telemetry", page, telemetry_ingest)
            for page in _pages(http, f"{base}/trips", {"end_time": hour}, "trips"):
                report.pages += 1
                feed("trips", page, trips_ingest)
    except (httpx.HTTPError, ValueError) as exc:
        report.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        if own:
            http.close()
    return report
