"""Through the Agency API: a bike left outside reports again and again, and is noticed and
penalised once; ridden away and left outside again, it gets a new notice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nuanxin.mds.ingest.common import now_ms
from nuanxin.notices.models import Notice
from nuanxin.notices.penalties import penalties_issue_due
from nuanxin.notices.queue import notices_open_queued
from tests.mds.conftest import Agency

OUTSIDE = {"lat": 33.872, "lng": 115.7502, "horizontal_accuracy": 0.5}


def post(agency: Agency, capture: Any, *events: dict) -> None:
    with capture(execute=True):
        assert agency.post("/events", list(events)).json()["success"] == len(events)
    notices_open_queued()


def test_one_notice_per_parking_and_a_new_one_after_a_ride(
    agency: Agency, spots: list, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    bike = agency.register(1)[0]
    t0 = now_ms() - 3_000_000
    post(agency, capture, agency.event(bike, location=OUTSIDE, timestamp=t0))
    first = Notice.objects.get(bike=bike)
    assert penalties_issue_due(first.due_at + timedelta(seconds=1)) == 1

    # Heartbeats of the same parking: still outside, never moved.
    for minutes in (30, 40):
        post(
            agency,
            capture,
            agency.event(
                bike, location=OUTSIDE, event_types=["located"], timestamp=t0 + minutes * 60_000
            ),
        )
    assert Notice.objects.filter(bike=bike).count() == 1

    # Ridden away and dropped outside again: a new parking, a new notice.
    ride = agency.event(
        bike, vehicle_state="on_trip", event_types=["trip_start"], timestamp=t0 + 41 * 60_000
    )
    dropped = agency.event(
        bike, location=OUTSIDE, event_types=["trip_end"], timestamp=t0 + 45 * 60_000
    )
    post(agency, capture, ride)
    post(agency, capture, dropped)
    notices = list(Notice.objects.filter(bike=bike).order_by("observed_at"))
    assert [n.status for n in notices] == [Notice.Status.PENALISED, Notice.Status.OPEN]
