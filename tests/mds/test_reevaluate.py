"""`events_reevaluate`, `telemetry_reevaluate` / `manage.py mds_reevaluate`: stored events and
telemetry points handed to the engine again."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from nuanxin.audit.models import AuditEvent
from nuanxin.compliance.models import BikeParking, ParkingCheck
from nuanxin.core.errors import DomainError
from nuanxin.mds.ingest import events_ingest, telemetry_ingest
from nuanxin.mds.ingest.replay import events_reevaluate, telemetry_reevaluate
from nuanxin.mds.models import MdsEvent, Telemetry
from nuanxin.notices.models import Notice
from tests.mds.conftest import Agency

pytestmark = pytest.mark.django_db


def _inside(spot) -> dict:  # type: ignore[no-untyped-def]
    ring = spot.polygon["coordinates"][0]
    return {"lat": (ring[0][1] + ring[2][1]) / 2, "lng": (ring[0][0] + ring[2][0]) / 2}


def _stored_without_evaluation(agency: Agency, items: list[dict]) -> None:
    result = events_ingest(operator=agency.operator, items=items, evaluate=False)
    assert result.stored == len(items)


def test_stored_events_are_decided_once_with_their_notice(agency: Agency, spots: list) -> None:
    good_bike, bad_bike, moved_bike = agency.register(3)
    base = timezone.now() - timedelta(minutes=5)
    ms = int(base.timestamp() * 1000)
    inside = agency.event(
        good_bike, timestamp=ms, location=_inside(spots[0]) | {"horizontal_accuracy": 0.5}
    )
    outside = agency.event(
        bad_bike,
        timestamp=ms,
        location={"lat": 33.872, "lng": 115.7502, "horizontal_accuracy": 0.5},
    )
    parked_then_moved = [
        agency.event(
            moved_bike, timestamp=ms, location=_inside(spots[1]) | {"horizontal_accuracy": 0.5}
        ),
        agency.event(
            moved_bike, vehicle_state="on_trip", event_types=["trip_start"], timestamp=ms + 60_000
        ),
    ]
    _stored_without_evaluation(agency, [inside, outside, *parked_then_moved])
    assert not ParkingCheck.objects.exists()

    # Pages of 2 (three events share a timestamp): every event is read exactly once.
    result = events_reevaluate(since=base - timedelta(seconds=1), until=timezone.now(), chunk=2)
    assert (result.events, result.parked, result.moved) == (4, 3, 1)
    assert dict(result.decided) == {"in_spot": 2, "outside": 1}
    assert ParkingCheck.objects.get(source_id=outside["event_id"]).verdict == "outside"
    assert Notice.objects.get(bike=bad_bike).status == Notice.Status.OPEN
    assert BikeParking.objects.get(bike=good_bike).parked is True
    assert BikeParking.objects.get(bike=moved_bike).parked is False  # the trip came later
    audit = AuditEvent.objects.filter(action="compliance.replay").get()
    assert audit.after["events"] == 4 and audit.after["decided"] == {"in_spot": 2, "outside": 1}

    again = events_reevaluate(since=base - timedelta(seconds=1), until=timezone.now())
    assert not again.decided and again.already_decided == 3
    assert ParkingCheck.objects.count() == 3
    assert Notice.objects.count() == 1


def test_an_old_violation_opens_no_notice_when_the_bike_was_seen_since(
    agency: Agency, spots: list
) -> None:
    bike = agency.register(1)[0]
    old = timezone.now() - timedelta(hours=3)
    violation = agency.event(
        bike,
        timestamp=int(old.timestamp() * 1000),
        location={"lat": 33.872, "lng": 115.7502, "horizontal_accuracy": 0.5},
    )
    _stored_without_evaluation(agency, [violation])
    later = agency.event(bike, location=_inside(spots[0]) | {"horizontal_accuracy": 0.5})
    assert agency.post("/events", [later]).status_code == 201  # evaluated on ingest

    result = events_reevaluate(since=old - timedelta(minutes=1), until=old + timedelta(minutes=1))
    assert dict(result.decided) == {"outside": 1}
    assert not Notice.objects.exists()
    assert BikeParking.objects.get(bike=bike).verdict == "in_spot"


def test_one_operators_window_leaves_the_others_events_alone(
    agency: Agency, other_agency: Agency, spots: list
) -> None:
    mine, theirs = agency.register(1)[0], other_agency.register(1)[0]
    _stored_without_evaluation(agency, [agency.event(mine, location=_inside(spots[0]))])
    _stored_without_evaluation(
        other_agency, [other_agency.event(theirs, location=_inside(spots[0]))]
    )
    since = timezone.now() - timedelta(minutes=1)
    result = events_reevaluate(since=since, until=timezone.now(), operator=agency.operator)
    assert result.events == 1
    assert list(ParkingCheck.objects.values_list("bike_id", flat=True)) == [mine.pk]


def test_bad_windows_are_refused_in_the_users_language(agency: Agency) -> None:
    now = timezone.now()
    with pytest.raises(DomainError, match="开始时间必须早于结束时间"):
        events_reevaluate(since=now, until=now)
    with pytest.raises(DomainError, match="时区"):
        events_reevaluate(since=now.replace(tzinfo=None), until=now)
    with pytest.raises(CommandError, match="not a date-time"):
        call_command("mds_reevaluate", "--since", "yesterday")
    with pytest.raises(CommandError, match="no operator"):
        call_command("mds_reevaluate", "--since", "2026-11-28T10:00", "--operator", "nobody")


def test_the_command_reports_what_it_decided(agency: Agency, spots: list) -> None:
    bike = agency.register(1)[0]
    _stored_without_evaluation(agency, [agency.event(bike, location=_inside(spots[0]))])
    since = timezone.localtime(timezone.now() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")
    out = io.StringIO()
    call_command("mds_reevaluate", "--since", since, stdout=out)
    assert (
        "1 events: 1 parked, 0 moved; new decisions: in_spot 1; already decided: 0"
        in out.getvalue()
    )


def test_events_decided_in_spot_at_ingest_are_not_decided_again(
    agency: Agency, spots: list
) -> None:
    """An in-spot decision made at ingest is kept on its event: the replay counts the event
    as decided and stores no second decision for it."""
    bike = agency.register(1)[0]
    parked = agency.event(bike, location=_inside(spots[0]) | {"horizontal_accuracy": 0.5})
    assert agency.post("/events", [parked]).json()["success"] == 1
    decision = MdsEvent.objects.get(event_id=parked["event_id"]).decision
    assert decision is not None and decision["verdict"] == "in_spot"

    result = events_reevaluate(since=timezone.now() - timedelta(minutes=5), until=timezone.now())
    assert (result.events, result.parked, result.already_decided) == (1, 1, 1)
    assert not result.decided and not ParkingCheck.objects.exists()
    assert MdsEvent.objects.get(event_id=parked["event_id"]).decision == decision


def _points_stored_without_evaluation(agency: Agency, items: list[dict]) -> None:
    result = telemetry_ingest(operator=agency.operator, items=items, evaluate=False)
    assert result.stored == len(items)


def _parked_event_and_point_undecided(agency: Agency, spots: list) -> str:
    """A bike's parking event and, a second later, its point in the same spot, both stored
    without evaluation; returns a --since (local time) that covers them."""
    bike = agency.register(1)[0]
    ms = int((timezone.now() - timedelta(seconds=30)).timestamp() * 1000)
    _stored_without_evaluation(
        agency, [agency.event(bike, timestamp=ms, location=_inside(spots[0]))]
    )
    _points_stored_without_evaluation(
        agency, [agency.telemetry(bike, timestamp=ms + 1000, location=_inside(spots[0]))]
    )
    return timezone.localtime(timezone.now() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")


def test_telemetry_of_parked_bikes_is_judged_once_by_the_state_of_its_moment(
    agency: Agency, spots: list
) -> None:
    parked_bike, riding_bike, new_bike, tripping_bike = agency.register(4)
    base = timezone.now() - timedelta(minutes=5)
    ms = int(base.timestamp() * 1000)
    outside = {"lat": 33.872, "lng": 115.7502, "horizontal_accuracy": 0.5}
    _stored_without_evaluation(
        agency,
        [
            agency.event(parked_bike, timestamp=ms, location=_inside(spots[0])),
            agency.event(riding_bike, timestamp=ms),
            agency.event(
                riding_bike,
                vehicle_state="on_trip",
                event_types=["trip_start"],
                timestamp=ms + 10_000,
            ),
            agency.event(new_bike, timestamp=ms + 120_000),
            agency.event(tripping_bike, timestamp=ms),
        ],
    )
    in_spot_then = agency.telemetry(
        parked_bike,
        timestamp=ms + 30_000,
        location=_inside(spots[0]) | {"horizontal_accuracy": 0.5},
    )
    moved_out = agency.telemetry(parked_bike, timestamp=ms + 60_000, location=outside)
    points = [
        in_spot_then,
        moved_out,
        agency.telemetry(riding_bike, timestamp=ms + 60_000, location=outside),  # on a trip then
        agency.telemetry(
            new_bike, timestamp=ms + 60_000, location=outside
        ),  # before its first event
        agency.telemetry(
            tripping_bike, timestamp=ms + 60_000, location=outside, trip_ids=[str(uuid.uuid4())]
        ),
    ]
    _points_stored_without_evaluation(agency, points)
    assert not ParkingCheck.objects.exists()

    window = {"since": base - timedelta(seconds=1), "until": timezone.now()}
    result = telemetry_reevaluate(**window, chunk=2)  # three points share a timestamp

    assert (result.events, result.parked) == (5, 2)
    assert dict(result.decided) == {"in_spot": 1, "outside": 1}
    decided = dict(
        ParkingCheck.objects.filter(source="telemetry").values_list("source_id", "verdict")
    )
    assert decided == {
        in_spot_then["telemetry_id"]: "in_spot",
        moved_out["telemetry_id"]: "outside",
    }
    # Only the bike's latest decision opens a notice: the point outside.
    assert Notice.objects.get(bike=parked_bike).check_ref.source_id == moved_out["telemetry_id"]
    assert not Notice.objects.exclude(bike=parked_bike).exists()
    audit = AuditEvent.objects.get(action="compliance.replay", object_type="mds.telemetry")
    assert audit.after["events"] == 5 and audit.after["decided"] == {"in_spot": 1, "outside": 1}

    again = telemetry_reevaluate(**window)
    assert not again.decided and again.already_decided == 2
    assert ParkingCheck.objects.count() == 2 and Notice.objects.count() == 1


def test_telemetry_decided_in_spot_at_ingest_is_not_decided_again(
    agency: Agency, spots: list
) -> None:
    bike = agency.register(1)[0]
    assert (
        agency.post("/events", [agency.event(bike, location=_inside(spots[0]))]).status_code == 201
    )
    point = agency.telemetry(bike, location=_inside(spots[0]) | {"horizontal_accuracy": 0.5})
    assert agency.post("/telemetry", [point]).json()["success"] == 1
    decision = Telemetry.objects.get(telemetry_id=point["telemetry_id"]).decision
    assert decision is not None and decision["verdict"] == "in_spot"

    since = timezone.now() - timedelta(minutes=5)
    result = telemetry_reevaluate(since=since, until=timezone.now())
    assert (result.events, result.parked, result.already_decided) == (1, 1, 1)
    assert not result.decided
    assert not ParkingCheck.objects.filter(source="telemetry").exists()


def test_the_command_replays_telemetry_too_and_one_kind_on_request(
    agency: Agency, spots: list
) -> None:
    since = _parked_event_and_point_undecided(agency, spots)
    out = io.StringIO()
    call_command("mds_reevaluate", "--since", since, "--kind", "telemetry", stdout=out)
    assert out.getvalue() == (
        "1 telemetry points: 1 of parked bikes; new decisions: in_spot 1; already decided: 0\n"
    )
    out = io.StringIO()
    call_command("mds_reevaluate", "--since", since, stdout=out)
    assert out.getvalue().splitlines() == [
        "1 events: 1 parked, 0 moved; new decisions: in_spot 1; already decided: 0",
        "1 telemetry points: 1 of parked bikes; new decisions: none; already decided: 1",
    ]
    now = timezone.now()
    with pytest.raises(DomainError, match="开始时间必须早于结束时间"):
        telemetry_reevaluate(since=now, until=now)


@pytest.mark.django_db(transaction=True)
def test_the_command_runs_outside_any_transaction(agency: Agency, spots: list) -> None:
    """As an operator runs it (not inside a test's transaction): every write, the run's
    audit row included, is in a transaction of its own."""
    since = _parked_event_and_point_undecided(agency, spots)
    call_command("mds_reevaluate", "--since", since, stdout=io.StringIO())
    assert set(ParkingCheck.objects.values_list("source", flat=True)) == {"event", "telemetry"}
    assert sorted(
        AuditEvent.objects.filter(action="compliance.replay").values_list("object_type", flat=True)
    ) == ["mds.mdsevent", "mds.telemetry"]
