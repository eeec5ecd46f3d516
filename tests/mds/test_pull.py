from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
from django.utils import timezone

from nuanxin.mds.models import MdsEvent, Telemetry
from nuanxin.mds.pull import mds_pull
from tests.mds.conftest import Agency


def provider_app(events: list[dict], telemetry: list[dict]) -> Any:
    """A minimal MDS Provider (WSGI): events in two pages, telemetry in one."""
    seen: list[str] = []

    def app(environ: dict, start_response: Any) -> list[bytes]:
        path = environ["PATH_INFO"]
        query = parse_qs(environ.get("QUERY_STRING", ""))
        seen.append(f"{path}?{environ.get('QUERY_STRING', '')}")
        if environ.get("HTTP_AUTHORIZATION") != "Bearer provider-secret":
            start_response("401 Unauthorized", [("Content-Type", "application/json")])
            return [b"{}"]
        if path == "/events/recent":
            page = int(query.get("page", ["1"])[0])
            half = len(events) // 2
            body = {
                "version": "2.0.0",
                "events": events[:half] if page == 1 else events[half:],
                "links": {
                    "next": "http://provider.test/events/recent?page=2" if page == 1 else None
                },
            }
        elif path == "/telemetry":
            body = {"version": "2.0.0", "telemetry": list(telemetry), "links": {"next": None}}
            telemetry.clear()  # served once (first hour only)
        else:
            body = {"version": "2.0.0", "trips": [], "links": {"next": None}}
        start_response("200 OK", [("Content-Type", "application/vnd.mds+json")])
        return [json.dumps(body).encode()]

    app.seen = seen  # type: ignore[attr-defined]
    return app


def test_pull_reads_the_provider_api_and_ingests_idempotently(agency: Agency) -> None:
    bikes = agency.register(2)
    events = [agency.event(b) for b in bikes] * 2  # the provider repeats itself
    telemetry = [agency.telemetry(bikes[0])]
    app = provider_app(events, telemetry)
    client = httpx.Client(transport=httpx.WSGITransport(app=app))
    now = timezone.now()
    report = mds_pull(
        operator=agency.operator,
        base_url="http://provider.test",
        since=now - timedelta(minutes=30),
        until=now,
        token="provider-secret",
        client=client,
    )
    assert report.errors == []
    assert report.totals["events"]["success"] == 4
    assert MdsEvent.objects.count() == 2
    assert Telemetry.objects.count() == 1
    assert any(s.startswith("/events/recent?start_time=") for s in app.seen)

    again = mds_pull(
        operator=agency.operator,
        base_url="http://provider.test",
        since=now - timedelta(minutes=30),
        until=now,
        token="provider-secret",
        client=client,
    )
    assert again.totals["events"]["success"] == 4
    assert MdsEvent.objects.count() == 2


def test_pull_reports_a_refusing_provider(agency: Agency) -> None:
    client = httpx.Client(transport=httpx.WSGITransport(app=provider_app([], [])))
    now = timezone.now()
    report = mds_pull(
        operator=agency.operator,
        base_url="http://provider.test",
        since=now - timedelta(minutes=5),
        until=now,
        token="wrong",
        client=client,
    )
    assert report.errors and "401" in report.errors[0]
    assert MdsEvent.objects.count() == 0
