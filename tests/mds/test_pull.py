from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
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


# --- the provider misbehaving -------------------------------------------------------------


def mock_provider(routes: dict[str, Any]) -> tuple[httpx.Client, list[str]]:
    """An httpx client on a MockTransport: `routes` maps a path to a handler
    (request → httpx.Response) or to a fixed (status, body); anything else is 404."""
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        route = routes.get(request.url.path)
        if route is None:
            return httpx.Response(404, text="<html>Not Found</html>")
        if callable(route):
            return route(request)
        status, body = route
        if isinstance(body, str | bytes):
            return httpx.Response(status, content=body)
        return httpx.Response(status, json=body)

    return httpx.Client(transport=httpx.MockTransport(handle)), seen


EMPTY_TELEMETRY = (200, {"version": "2.0.0", "telemetry": []})
EMPTY_TRIPS = (200, {"version": "2.0.0", "trips": []})


def pull(agency: Agency, client: httpx.Client, minutes: int = 30) -> Any:
    now = timezone.now()
    return mds_pull(
        operator=agency.operator,
        base_url="http://provider.test/mds",
        since=now - timedelta(minutes=minutes),
        until=now,
        client=client,
    )


def events_page(events: list[dict], next_url: str | None) -> dict[str, Any]:
    return {"version": "2.0.0", "events": events, "links": {"next": next_url}}


def test_a_next_link_back_to_a_fetched_page_stops_the_pull_with_an_error(agency: Agency) -> None:
    bike = agency.register(1)[0]
    first, second = agency.event(bike), agency.event(bike)

    first_url: list[str] = []

    def events(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "2":  # back to the first page, forever
            return httpx.Response(200, json=events_page([second], first_url[0]))
        first_url.append(str(request.url))
        return httpx.Response(
            200, json=events_page([first], "http://provider.test/mds/events/recent?page=2")
        )

    client, seen = mock_provider(
        {
            "/mds/events/recent": events,
            "/mds/telemetry": EMPTY_TELEMETRY,
            "/mds/trips": EMPTY_TRIPS,
        }
    )
    report = pull(agency, client)
    assert len([s for s in seen if "/events/recent" in s]) == 2
    assert report.totals["events"]["success"] == 2
    [error] = report.errors
    assert "/events/recent" in error and "loops back" in error
    assert any("/telemetry" in s for s in seen)  # the other endpoints are still read
    assert MdsEvent.objects.count() == 2


def test_pages_are_capped(agency: Agency, monkeypatch: Any) -> None:
    monkeypatch.setenv("MDS_PULL_MAX_PAGES", "5")

    def endless(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        return httpx.Response(
            200, json=events_page([], f"http://provider.test/mds/events/recent?page={page + 1}")
        )

    client, seen = mock_provider(
        {
            "/mds/events/recent": endless,
            "/mds/telemetry": EMPTY_TELEMETRY,
            "/mds/trips": EMPTY_TRIPS,
        }
    )
    report = pull(agency, client)
    assert len([s for s in seen if "/events/recent" in s]) == 5
    [error] = report.errors
    assert "5 pages" in error and "MDS_PULL_MAX_PAGES" in error


def test_a_wrong_base_url_is_an_error_not_an_empty_pull(agency: Agency) -> None:
    client, _seen = mock_provider({})  # every endpoint 404
    report = pull(agency, client)
    assert any("/events/recent" in e and "404" in e for e in report.errors)
    assert any("/telemetry" in e and "404" in e for e in report.errors)


def test_trips_404_for_an_hour_is_no_data_and_202_is_not_yet_available(agency: Agency) -> None:
    """Provider /trips: 404 "Hour is not in the past, or no operations during this hour", 202
    "Data is not yet available for this hour" (reference/provider.yaml)."""
    hours: list[str] = []

    def trips(request: httpx.Request) -> httpx.Response:
        hours.append(request.url.params["end_time"])
        return httpx.Response(404 if len(hours) == 1 else 202)

    client, _seen = mock_provider(
        {
            "/mds/events/recent": (200, events_page([], None)),
            "/mds/telemetry": EMPTY_TELEMETRY,
            "/mds/trips": trips,
        }
    )
    report = pull(agency, client, minutes=90)
    assert report.errors == []
    assert len(hours) >= 2
    assert [n for n in report.notes if "202" in n] == [
        f"trips {h}: not yet available (202)" for h in hours[1:]
    ]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ([], "not a JSON object"),
        ({"version": "2.0.0", "events": [], "links": "x"}, "links"),
        ({"version": "2.0.0", "events": [], "links": {"next": 5}}, "links.next"),
        ({"version": "2.0.0", "events": "abc"}, "'events' is not an array"),
        ({"version": "2.0.0", "events": {"a": 1}}, "'events' is not an array"),
        ({"version": "2.0.0"}, "no 'events'"),
        ("<html>oops</html>", "not JSON"),
    ],
)
def test_an_unexpected_response_shape_is_a_reported_error(
    agency: Agency, body: Any, says: str
) -> None:
    client, seen = mock_provider(
        {
            "/mds/events/recent": (200, body),
            "/mds/telemetry": EMPTY_TELEMETRY,
            "/mds/trips": EMPTY_TRIPS,
        }
    )
    report = pull(agency, client)
    [error] = report.errors
    assert "/events/recent" in error and says in error
    assert any("/trips" in s for s in seen)


def test_a_relative_next_link_is_resolved_against_the_page(agency: Agency) -> None:
    bike = agency.register(1)[0]
    pages = {
        None: events_page([agency.event(bike)], "recent?page=2"),
        "2": events_page([agency.event(bike)], "/mds/events/recent?page=3"),
        "3": events_page([agency.event(bike)], None),
    }
    client, seen = mock_provider(
        {
            "/mds/events/recent": lambda r: httpx.Response(
                200, json=pages[r.url.params.get("page")]
            ),
            "/mds/telemetry": EMPTY_TELEMETRY,
            "/mds/trips": EMPTY_TRIPS,
        }
    )
    report = pull(agency, client)
    assert report.errors == []
    assert [s for s in seen if "page=" in s] == [
        "http://provider.test/mds/events/recent?page=2",
        "http://provider.test/mds/events/recent?page=3",
    ]
    assert MdsEvent.objects.count() == 3


def test_a_next_link_to_another_host_is_not_followed(agency: Agency) -> None:
    """Our bearer token goes with every request: never to a host the base URL does not name."""
    client, seen = mock_provider(
        {
            "/mds/events/recent": (200, events_page([], "https://elsewhere.test/steal")),
            "/mds/telemetry": EMPTY_TELEMETRY,
            "/mds/trips": EMPTY_TRIPS,
        }
    )
    report = pull(agency, client)
    [error] = report.errors
    assert "elsewhere.test" in error
    assert not any("elsewhere" in s for s in seen)


def test_the_command_exits_non_zero_on_errors_and_reports_what_it_read(
    agency: Agency, monkeypatch: Any
) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    from nuanxin.mds import pull as pull_module

    client, _seen = mock_provider({})
    monkeypatch.setattr(pull_module, "http_client", lambda: client)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command(
            "mds_pull", "--operator", "qingju", "--url", "http://provider.test/mds",
            stdout=out, stderr=err,
        )  # fmt: skip
    assert "404" in err.getvalue()

    good, _seen = mock_provider(
        {
            "/mds/events/recent": (200, events_page([], None)),
            "/mds/telemetry": EMPTY_TELEMETRY,
            "/mds/trips": EMPTY_TRIPS,
        }
    )
    monkeypatch.setattr(pull_module, "http_client", lambda: good)
    out = StringIO()
    call_command("mds_pull", "--operator", "qingju", "--url", "http://x.test/mds", stdout=out)
    assert "events: 0/0 accepted" in out.getvalue()
