"""Pull mode: read an operator's MDS Provider API and ingest it like pushed Agency data.

Reads /events/recent (start_time/end_time in ms), /telemetry and /trips (hourly
`telemetry_time` / `end_time` = YYYY-MM-DDTHH), follows `links.next`, and feeds each page to
the same ingest functions as the Agency API (so validation, idempotency and evaluation are
identical; re-pulling a window stores nothing twice).

What the provider answers, as reference/provider.yaml defines it:
- 200 with a JSON object holding the data array (`events`, `telemetry`, `trips`) and, for
  paged answers, `links.next`; any other shape is an error of that endpoint.
- 404 on the first page of /trips (and of /events/historical, which we do not read: we read
  /events/recent) means "Hour is not in the past, or no operations during this hour": no
  data. /events/recent and /telemetry define no 404, so there it is an error, as it is on
  any later page (a `next` link that leads nowhere): a wrong base URL fails the pull instead
  of passing for a quiet hour.
- 202 on /trips: "Data is not yet available for this hour"; noted, not an error (the next
  pull over the hour reads it).
A `next` link is resolved against the page's URL (it may be relative) and followed only on
the base URL's own scheme, host and port, since our bearer token goes with every request.
A link back to a page already read, or more than MDS_PULL_MAX_PAGES (setting or env,
default 1,000) pages, stops that endpoint with an error. An endpoint's error does not stop
the others; the report lists every error, and `manage.py mds_pull` exits non-zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from django.conf import settings

from nuanxin.bikes.models import Operator
from nuanxin.bikes.policy import bike_policy
from nuanxin.lib.env import envint
from nuanxin.mds.ingest import (
    BatchRefused,
    BulkResult,
    events_ingest,
    telemetry_ingest,
    trips_ingest,
)

KINDS = ("events", "telemetry", "trips")
DEFAULT_MAX_PAGES = 1000


def max_pages() -> int:
    """Pages read from one endpoint (one hour of it) at most: env, then settings, then 1,000."""
    return envint("MDS_PULL_MAX_PAGES", getattr(settings, "MDS_PULL_MAX_PAGES", DEFAULT_MAX_PAGES))


def http_client() -> httpx.Client:
    return httpx.Client(timeout=60)


@dataclass
class PullReport:
    pages: int = 0
    totals: dict[str, dict[str, int]] = field(
        default_factory=lambda: {k: {"total": 0, "success": 0, "failures": 0} for k in KINDS}
    )
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # not errors: hours not yet available

    def add(self, kind: str, result: BulkResult) -> None:
        t = self.totals.setdefault(kind, {"total": 0, "success": 0, "failures": 0})
        t["total"] += result.total
        t["success"] += result.success
        t["failures"] += len(result.failures)


class PullError(Exception):
    """What one endpoint answered wrong (the message names the URL)."""


class NotYetAvailable(Exception):
    """202 from an hourly endpoint: the provider has not processed that hour yet."""


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def _page(response: httpx.Response, key: str) -> tuple[list[Any], str | None]:
    """(the page's items, its `links.next` or None), or PullError."""
    try:
        body = response.json()
    except ValueError:
        raise PullError("the body is not JSON") from None
    if not isinstance(body, dict):
        raise PullError(f"the body is not a JSON object but {type(body).__name__}")
    if key not in body:
        raise PullError(f"the body has no '{key}'")
    items = body[key]
    if not isinstance(items, list):
        raise PullError(f"'{key}' is not an array but {type(items).__name__}")
    links = body.get("links")
    if links is None:
        return items, None
    if not isinstance(links, dict):
        raise PullError(f"'links' is not an object but {type(links).__name__}")
    next_url = links.get("next")
    if next_url is not None and not isinstance(next_url, str):
        raise PullError(f"'links.next' is not a URL but {type(next_url).__name__}")
    return items, next_url or None


def _pages(
    client: httpx.Client,
    url: str,
    params: dict[str, Any],
    key: str,
    *,
    hourly: bool,
    limit: int,
) -> Iterator[list[Any]]:
    """Each page's items, following `links.next`; PullError (naming the URL) when the
    provider answers wrong, NotYetAvailable on a 202 of an hourly endpoint (`hourly`, where
    a first-page 404 is "no data" too)."""
    start = httpx.URL(url, params=params)
    current = start
    fetched: set[str] = set()
    while True:
        fetched.add(str(current))
        response = client.get(current)
        status = response.status_code
        if hourly and len(fetched) == 1 and status == 404:
            return  # "Hour is not in the past, or no operations during this hour"
        if hourly and status == 202:
            raise NotYetAvailable
        if status != 200:
            raise PullError(f"{current}: HTTP {status}")
        try:
            items, next_url = _page(response, key)
        except PullError as exc:
            raise PullError(f"{current}: {exc}") from None
        yield items
        if next_url is None:
            return
        following = current.join(next_url)
        if _origin(following) != _origin(start):
            raise PullError(
                f"{current}: links.next leaves {start.host} for {following}; not followed"
            )
        if str(following) in fetched:
            raise PullError(f"{current}: links.next loops back to {following}, already read")
        if len(fetched) >= limit:
            raise PullError(f"{url}: more than {limit} pages; stopped (MDS_PULL_MAX_PAGES)")
        current = following


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
    http = client or http_client()
    http.headers.update(headers)
    report = PullReport()
    size = bike_policy().max_batch_items
    limit = max_pages()

    def read(
        kind: str,
        path: str,
        params: dict[str, Any],
        ingest: Callable[..., BulkResult],
        *,
        hour: str | None = None,
    ) -> None:
        """One endpoint into ingest (`hour`: the hour an hourly endpoint reads, whose 404
        and 202 mean what provider.yaml says); its failure goes into the report."""
        hourly = hour is not None
        try:
            for page in _pages(http, f"{base}{path}", params, kind, hourly=hourly, limit=limit):
                report.pages += 1
                for start in range(0, len(page), size):
                    try:
                        result = ingest(operator=operator, items=page[start : start + size])
                    except BatchRefused as exc:  # e.g. the page's items are not an array
                        raise PullError(f"{base}{path}: {exc.description}") from None
                    report.add(kind, result)
        except NotYetAvailable:
            report.notes.append(f"{kind} {hour}: not yet available (202)")
        except PullError as exc:
            report.errors.append(str(exc))
        except httpx.HTTPError as exc:
            report.errors.append(f"{base}{path}: {type(exc).__name__}: {exc}")

    try:
        window = {
            "start_time": int(since.timestamp() * 1000),
            "end_time": int(until.timestamp() * 1000),
        }
        read("events", "/events/recent", window, events_ingest)
        for hour in _hours(since, until):
            read("telemetry", "/telemetry", {"telemetry_time": hour}, telemetry_ingest)
            read("trips", "/trips", {"end_time": hour}, trips_ingest, hour=hour)
    finally:
        if own:
            http.close()
    return report
