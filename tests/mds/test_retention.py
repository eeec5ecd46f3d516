"""`mds_records_prune` / `manage.py mds_prune` / the worker job: raw MDS records past their
retention period are deleted, except those a decision or a fix cites."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from nuanxin.audit.models import AuditEvent
from nuanxin.bikes.policy import bike_policy, policy_path
from nuanxin.compliance.models import ParkingCheck
from nuanxin.core.jobs import registered_jobs
from nuanxin.mds.models import MdsEvent, PruneMark, Telemetry, Trip
from nuanxin.mds.retention import (
    RetentionPolicyInvalid,
    mds_records_prune,
    retention_policy,
)
from nuanxin.notices.models import Notice
from nuanxin.notices.queue import notices_open_queued
from tests.mds.conftest import Agency, now_ms

pytestmark = pytest.mark.django_db

OUTSIDE = {"lat": 33.872, "lng": 115.7502, "horizontal_accuracy": 0.5}


@pytest.fixture(autouse=True)
def _policy_read_afresh() -> Iterator[None]:
    bike_policy.cache_clear()
    retention_policy.cache_clear()
    yield
    bike_policy.cache_clear()
    retention_policy.cache_clear()


def _received_days_ago(model: Any, days: float, **lookup: Any) -> None:
    model.objects.filter(**lookup).update(received_at=timezone.now() - timedelta(days=days))


def _city_history(agency: Agency, spots: list) -> dict[str, Any]:
    """Half a year of a small city: plain records, a violation (its event is cited by the
    decision) fixed by a trip start (cited by the notice), and records of this week."""
    plain_bike, bad_bike = agency.register(2)
    ms = now_ms() - 60_000
    plain = [agency.event(plain_bike, timestamp=ms - i * 1000) for i in range(5)]
    violation = agency.event(bad_bike, timestamp=ms, location=OUTSIDE)
    assert agency.post("/events", [*plain, violation]).json()["success"] == 6
    assert notices_open_queued() == 1
    fix = agency.event(
        bad_bike, vehicle_state="on_trip", event_types=["trip_start"], timestamp=ms + 1000
    )
    assert agency.post("/events", [fix]).json()["success"] == 1
    notice = Notice.objects.get(bike=bad_bike)
    assert notice.status == Notice.Status.FIXED and notice.fix_source_id == fix["event_id"]
    points = [agency.telemetry(plain_bike, timestamp=ms - i * 1000) for i in range(4)]
    assert agency.post("/telemetry", points).json()["success"] == 4
    assert agency.post("/trips", [agency.trip(plain_bike) for _ in range(3)]).json()["success"] == 3
    _received_days_ago(MdsEvent, 200)
    _received_days_ago(Telemetry, 40)
    _received_days_ago(Trip, 200)
    recent = agency.event(plain_bike, timestamp=now_ms() - 500)
    assert agency.post("/events", [recent]).json()["success"] == 1
    _received_days_ago(MdsEvent, 3, event_id=recent["event_id"])
    return {"violation": violation, "fix": fix, "recent": recent, "notice": notice}


def test_old_records_go_and_the_evidence_and_recent_ones_stay(agency: Agency, spots: list) -> None:
    history = _city_history(agency, spots)
    check = ParkingCheck.objects.get(source="event", source_id=history["violation"]["event_id"])

    report = mds_records_prune(now=timezone.now())

    assert report.complete
    assert report.deleted == {"events": 5, "telemetry": 4, "trips": 3}
    assert report.kept_as_evidence == {"events": 2, "telemetry": 0, "trips": 0}
    kept = {str(e) for e in MdsEvent.objects.values_list("event_id", flat=True)}
    assert kept == {history["violation"]["event_id"], history["fix"]["event_id"],
                    history["recent"]["event_id"]}  # fmt: skip
    assert not Telemetry.objects.exists() and not Trip.objects.exists()
    check.refresh_from_db()  # the decision and the notice are untouched
    assert Notice.objects.get(pk=history["notice"].pk).status == Notice.Status.FIXED

    rows = AuditEvent.objects.filter(action="mds.records_prune").order_by("seq")
    assert [(r.object_type, r.after["deleted"], r.after["kept_as_evidence"]) for r in rows] == [
        ("mds.mdsevent", 5, 2),
        ("mds.telemetry", 4, 0),
        ("mds.trip", 3, 0),
    ]
    assert rows[0].after["retention_days"] == 180 and rows[0].actor_label == "system:retention"
    # Every old record is behind the marks: the next run reads none of them again.
    oldest_recent = MdsEvent.objects.get(event_id=history["recent"]["event_id"]).pk
    assert PruneMark.objects.get(kind="events").through_id == oldest_recent - 1
    again = mds_records_prune(now=timezone.now())
    assert again.total() == 0 and again.kept_as_evidence["events"] == 0


def test_a_dry_run_counts_and_changes_nothing(agency: Agency, spots: list) -> None:
    _city_history(agency, spots)
    before = (MdsEvent.objects.count(), Telemetry.objects.count(), Trip.objects.count())

    report = mds_records_prune(now=timezone.now(), dry_run=True)

    assert report.deleted == {"events": 5, "telemetry": 4, "trips": 3}
    assert (MdsEvent.objects.count(), Telemetry.objects.count(), Trip.objects.count()) == before
    assert not AuditEvent.objects.filter(action="mds.records_prune").exists()
    assert not PruneMark.objects.exists()


def test_a_small_budget_still_walks_one_chunk_of_each_kind_per_run(
    agency: Agency, spots: list
) -> None:
    _city_history(agency, spots)
    first = mds_records_prune(now=timezone.now(), budget_seconds=0, chunk_rows=2)
    assert not first.complete
    walked = {k: first.deleted[k] + first.kept_as_evidence[k] for k in first.deleted}
    assert walked == {"events": 2, "telemetry": 2, "trips": 2}
    runs = 1
    while not mds_records_prune(now=timezone.now(), budget_seconds=0, chunk_rows=2).complete:
        runs += 1
    assert runs <= 4
    assert MdsEvent.objects.count() == 3 and not Telemetry.objects.exists()


def test_the_walk_stops_at_the_first_record_still_in_its_period(agency: Agency) -> None:
    """Ids grow with the time of receipt; one younger record ends the walk (its successors
    wait for a later run), so a clock step back never deletes a young record."""
    bike = agency.register(1)[0]
    events = [  # not parked: no decision cites them
        agency.event(
            bike, vehicle_state="on_trip", event_types=["trip_start"], timestamp=now_ms() - 9 + i
        )
        for i in range(3)
    ]
    assert agency.post("/events", events).json()["success"] == 3
    first, middle, last = MdsEvent.objects.order_by("pk")
    _received_days_ago(MdsEvent, 200, pk__in=[first.pk, last.pk])

    assert mds_records_prune(now=timezone.now(), kinds=["events"]).deleted == {"events": 1}
    assert set(MdsEvent.objects.values_list("pk", flat=True)) == {middle.pk, last.pk}


def test_the_command_reports_each_kind_and_refuses_a_bad_policy(
    agency: Agency, spots: list, tmp_path: Path, monkeypatch: Any
) -> None:
    _city_history(agency, spots)
    out = io.StringIO()
    call_command("mds_prune", "--dry-run", stdout=out)
    assert "events: would delete 5, kept 2 cited as evidence" in out.getvalue()
    assert "(received before" in out.getvalue() and "180 days)" in out.getvalue()

    data = json.loads(policy_path().read_text(encoding="utf-8"))
    data["retention"]["events_days"] = 30
    bad = tmp_path / "policy.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("NUANXIN_BIKE_POLICY_FILE", str(bad))
    bike_policy.cache_clear()
    retention_policy.cache_clear()
    with pytest.raises(CommandError, match=r"retention\.events_days 至少为 60 天，现为 30"):
        call_command("mds_prune", stdout=io.StringIO())
    assert MdsEvent.objects.count() == 8  # nothing deleted


@pytest.mark.parametrize(
    ("retention", "message"),
    [
        ({"events_days": 180, "trips_days": 180}, r"retention\.telemetry_days 须为整数天数"),
        ({"events_days": "180", "trips_days": 180, "telemetry_days": 30}, "须为整数天数"),
        ({"events_days": 180, "trips_days": 180, "telemetry_days": True}, "须为整数天数"),
        ({"events_days": 180, "trips_days": 180, "telemetry_days": 0}, "至少为 1 天"),
    ],
)
def test_each_bad_retention_value_is_named(
    retention: dict, message: str, tmp_path: Path, monkeypatch: Any
) -> None:
    data = json.loads(policy_path().read_text(encoding="utf-8"))
    data["retention"] = retention
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("NUANXIN_BIKE_POLICY_FILE", str(path))
    bike_policy.cache_clear()
    with pytest.raises(RetentionPolicyInvalid, match=message):
        retention_policy()


def test_the_shipped_policy_cites_its_basis_and_the_worker_runs_the_job() -> None:
    data = json.loads(policy_path().read_text(encoding="utf-8"))["retention"]
    assert data["basis"]["article"] == "第十九条"
    assert data["basis"]["text"].startswith("除法律、行政法规另有规定外")
    assert retention_policy().days == {"events": 180, "telemetry": 30, "trips": 180}
    assert "mds.records_prune" in {job.name for job in registered_jobs()}


def test_a_bad_kind_is_refused() -> None:
    from nuanxin.core.errors import DomainError

    with pytest.raises(DomainError, match="未知的数据类别：bikes"):
        mds_records_prune(now=timezone.now(), kinds=["bikes"])
