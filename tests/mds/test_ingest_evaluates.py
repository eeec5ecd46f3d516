"""Ingest hands parked and moved bikes to the compliance engine, in the batch's transaction."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from nuanxin.compliance.models import BikeParking, ParkingCheck
from nuanxin.compliance.selectors import check_from_event, check_from_telemetry
from nuanxin.compliance.services import Judgement, parked_bikes_judge
from nuanxin.compliance.writes import INLINE_CHECK_REF, checks_prepare
from nuanxin.mds.ingest import events_ingest, telemetry_ingest
from nuanxin.mds.ingest.common import call_hooks, decisions_clear
from nuanxin.mds.ingest.replay import events_reevaluate
from nuanxin.mds.models import MdsEvent, Telemetry
from nuanxin.notices.models import Notice, PendingNotice
from nuanxin.notices.queue import notices_open_queued
from tests.compliance.factories import parked as parked_observation
from tests.mds.conftest import Agency


def test_parked_events_and_telemetry_are_evaluated_with_the_batch(
    agency: Agency, spots: list, django_capture_on_commit_callbacks: Any
) -> None:
    bike = agency.register(1)[0]
    ring = spots[0].polygon["coordinates"][0]
    lat, lng = (ring[0][1] + ring[2][1]) / 2, (ring[0][0] + ring[2][0]) / 2
    parked = agency.event(
        bike, location={"lat": lat, "lng": lng, "horizontal_accuracy": 0.5}, beacon_ids=["BEACON-1"]
    )
    moving = agency.event(
        bike,
        vehicle_state="on_trip",
        event_types=["trip_start"],
        timestamp=parked["timestamp"] - 60_000,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert agency.post("/events", [parked, moving]).json()["success"] == 2
    # In spot: the decision is kept on the event, with what explains it; no row of its own.
    event = MdsEvent.objects.get(event_id=parked["event_id"])
    check = check_from_event(event)
    assert (check.verdict, check.rule) == ("in_spot", "inside")
    assert check.source == "event" and check.beacon_ids == ["BEACON-1"]
    assert check.spot_version_id == spots[0].pk and check.spot_id == spots[0].spot_id
    assert check.accuracy_m == 0.5 and check.tolerance_m == 1.0
    assert not ParkingCheck.objects.exists()
    assert MdsEvent.objects.get(event_id=moving["event_id"]).decision is None
    assert BikeParking.objects.get(bike=bike).check_id_ref == INLINE_CHECK_REF

    with django_capture_on_commit_callbacks(execute=True):
        again = agency.post("/events", [parked])  # an idempotent repeat is not re-evaluated
    assert again.json()["success"] == 1
    assert MdsEvent.objects.get(event_id=parked["event_id"]).decision == event.decision
    assert not ParkingCheck.objects.exists()

    # A parked bike's telemetry point judged in spot keeps its decision too; one outside is
    # a row, which a notice can reference.
    tele = agency.telemetry(bike, location={"lat": lat, "lng": lng, "horizontal_accuracy": 1.0})
    with django_capture_on_commit_callbacks(execute=True):
        agency.post("/telemetry", [tele])
    point = Telemetry.objects.get(telemetry_id=tele["telemetry_id"])
    check = check_from_telemetry(point)
    assert (check.source, check.source_id) == ("telemetry", tele["telemetry_id"])
    assert (check.verdict, check.accuracy_m, check.tolerance_m) == ("in_spot", 1.0, 1.0)
    assert check.spot_version_id == spots[0].pk
    assert not ParkingCheck.objects.exists()
    assert BikeParking.objects.get(bike=bike).check_id_ref == INLINE_CHECK_REF
    away = agency.telemetry(
        bike, location={"lat": 33.872, "lng": 115.7502, "horizontal_accuracy": 0.5}
    )
    with django_capture_on_commit_callbacks(execute=True):
        agency.post("/telemetry", [away])
    # SQL NULL, not the JSON text null: the decisions list's partial index leaves it out.
    undecided = Telemetry.objects.filter(decision__isnull=True, trip_ids__isnull=True)
    assert undecided.filter(telemetry_id=away["telemetry_id"]).exists()
    assert ParkingCheck.objects.get(source_id=away["telemetry_id"]).verdict == "outside"


def test_a_bike_parked_badly_then_ridden_away_in_one_batch_gets_no_notice(
    agency: Agency, spots: list
) -> None:
    """The batch's movements are applied before its parkings; a movement is recorded even
    for a bike never seen parked, so the older bad parking is decided but opens nothing."""
    bike = agency.register(1)[0]
    parked = agency.event(bike, location={"lat": 33.872, "lng": 115.7502})
    ridden = agency.event(
        bike,
        vehicle_state="on_trip",
        event_types=["trip_start"],
        timestamp=parked["timestamp"] + 30_000,
    )
    assert agency.post("/events", [parked, ridden]).json()["success"] == 2
    assert ParkingCheck.objects.get(source_id=parked["event_id"]).verdict == "outside"
    state = BikeParking.objects.get(bike=bike)
    assert state.parked is False and state.at.timestamp() * 1000 == ridden["timestamp"]
    assert PendingNotice.objects.count() == 1  # queued for the notice job, which drops it
    assert notices_open_queued() == 0 and not PendingNotice.objects.exists()
    assert not Notice.objects.filter(bike=bike).exists()

    parked_again = agency.event(
        bike,
        timestamp=ridden["timestamp"] + 30_000,
        location={"lat": 33.872, "lng": 115.7502},
    )
    assert agency.post("/events", [parked_again]).status_code == 201
    assert not Notice.objects.exists()  # opened by the notice job, not by the request
    assert notices_open_queued() == 1
    assert Notice.objects.get(bike=bike).status == Notice.Status.OPEN


def test_a_bike_parked_in_spot_before_the_job_runs_gets_no_notice_for_its_older_violation(
    agency: Agency, spots: list
) -> None:
    """The in-spot decision is kept on its event, not a row: the bike's parking state then
    names no decision (`INLINE_CHECK_REF`), so the queued outside decision is no longer the
    bike's latest and the notice job opens nothing for it."""
    bike = agency.register(1)[0]
    ring = spots[0].polygon["coordinates"][0]
    inside = {"lat": (ring[0][1] + ring[2][1]) / 2, "lng": (ring[0][0] + ring[2][0]) / 2}
    outside = agency.event(bike, location={"lat": 33.872, "lng": 115.7502})
    assert agency.post("/events", [outside]).json()["success"] == 1
    assert PendingNotice.objects.count() == 1
    fixed = agency.event(bike, location=inside, timestamp=outside["timestamp"] + 30_000)
    assert agency.post("/events", [fixed]).json()["success"] == 1
    assert BikeParking.objects.get(bike=bike).check_id_ref == INLINE_CHECK_REF
    assert notices_open_queued() == 0
    assert not Notice.objects.exists() and not PendingNotice.objects.exists()


def failing_judgement(bike: Any) -> Judgement:
    """A judgement of the bike whose writes fail (its decision names no bike)."""
    good = parked_bikes_judge(observations=[parked_observation(bike, 33.87, 115.75)])
    broken = good.decisions[0]
    broken.bike_id = None  # type: ignore[assignment]
    return Judgement(
        decisions=[broken], prepared=checks_prepare([broken], timezone.now()), stamp=good.stamp
    )


def test_a_failing_evaluation_rolls_back_alone_and_the_batch_stays_stored(
    agency: Agency, spots: list, caplog: Any
) -> None:
    """The evaluation runs under a savepoint of the batch's transaction: when the database
    refuses it (here a decision without a bike), only the evaluation is undone and logged;
    what the batch stored before it commits."""
    bike = agency.register(1)[0]
    judgement = failing_judgement(bike)
    event = agency.event(bike)
    with transaction.atomic():
        assert events_ingest(operator=agency.operator, items=[event], evaluate=False).stored == 1
        call_hooks(judgement, [])
    assert MdsEvent.objects.filter(event_id=event["event_id"]).exists()
    assert not ParkingCheck.objects.exists() and not BikeParking.objects.exists()
    assert "compliance evaluation failed during ingest" in caplog.text

    since = timezone.now() - timedelta(minutes=5)
    assert events_reevaluate(since=since, until=timezone.now()).decided  # recovered later


def test_a_failing_evaluation_clears_the_decisions_it_wrote_onto_the_events(
    agency: Agency, spots: list, caplog: Any
) -> None:
    """In-spot decisions go onto their events' rows before the evaluation runs; when the
    evaluation fails, they are cleared again, so that the replay decides those events
    instead of skipping them as decided."""
    bike = agency.register(1)[0]
    ring = spots[0].polygon["coordinates"][0]
    inside = {"lat": (ring[0][1] + ring[2][1]) / 2, "lng": (ring[0][0] + ring[2][0]) / 2}
    event = agency.event(bike, location=inside)
    judgement = failing_judgement(bike)
    with transaction.atomic():
        assert events_ingest(operator=agency.operator, items=[event], evaluate=False).stored == 1
        MdsEvent.objects.filter(event_id=event["event_id"]).update(decision={"verdict": "in_spot"})
        undo = partial(decisions_clear, MdsEvent, "event_id", [event["event_id"]])
        call_hooks(judgement, [], undo_inline=undo)
    assert MdsEvent.objects.get(event_id=event["event_id"]).decision is None
    assert "compliance evaluation failed during ingest" in caplog.text

    since = timezone.now() - timedelta(minutes=5)
    replay = events_reevaluate(since=since, until=timezone.now())
    assert dict(replay.decided) == {"in_spot": 1} and replay.already_decided == 0


def test_a_failing_evaluation_clears_the_decisions_it_wrote_onto_telemetry(
    agency: Agency, spots: list, caplog: Any
) -> None:
    """As for events: a point keeps no in-spot decision whose evaluation rolled back."""
    bike = agency.register(1)[0]
    point = agency.telemetry(bike)
    judgement = failing_judgement(bike)
    with transaction.atomic():
        assert telemetry_ingest(operator=agency.operator, items=[point], evaluate=False).stored
        stored = Telemetry.objects.filter(telemetry_id=point["telemetry_id"])
        stored.update(decision={"verdict": "in_spot"})
        call_hooks(
            judgement,
            [],
            undo_inline=partial(
                decisions_clear, Telemetry, "telemetry_id", [point["telemetry_id"]]
            ),
        )
    assert Telemetry.objects.get(telemetry_id=point["telemetry_id"]).decision is None
    assert "compliance evaluation failed during ingest" in caplog.text


def test_overflow_follows_the_batch_once_for_its_parkings_and_movements(
    agency: Agency, spots: list
) -> None:
    """A batch's parkings and movements are counted together before the spot's overflow
    alert is refreshed: one bike leaving and another arriving leave the count unchanged."""
    from nuanxin.compliance.models import OverflowAlert

    bikes = agency.register(13)
    ring = spots[0].polygon["coordinates"][0]
    inside = {"lat": (ring[0][1] + ring[2][1]) / 2, "lng": (ring[0][0] + ring[2][0]) / 2}
    t0 = agency.event(bikes[0])["timestamp"] - 600_000

    def park(bike: Any, at: int) -> dict:
        return agency.event(bike, location=inside, timestamp=at)

    def ride(bike: Any, at: int) -> dict:
        return agency.event(bike, vehicle_state="on_trip", event_types=["trip_start"], timestamp=at)

    assert agency.post("/events", [park(b, t0) for b in bikes[:11]]).json()["success"] == 11
    alert = OverflowAlert.objects.get(closed_at__isnull=True)
    assert (alert.count, alert.capacity) == (11, 10)

    swap = [ride(bikes[0], t0 + 1000), park(bikes[11], t0 + 1000)]
    assert agency.post("/events", swap).json()["success"] == 2
    alert.refresh_from_db()
    assert alert.closed_at is None and alert.count == 11

    leave = [ride(bikes[1], t0 + 2000), ride(bikes[2], t0 + 2000), park(bikes[12], t0 + 2000)]
    assert agency.post("/events", leave).json()["success"] == 3
    alert.refresh_from_db()
    assert alert.closed_at is not None and alert.count == 10


def test_an_ingest_batch_runs_no_collection(agency: Agency, spots: list) -> None:
    """Ingest pauses the cyclic collector for the batch (`collector_paused`; the Agency view
    for the body's parsing too): none of its thousands of short-lived objects is walked."""
    import gc

    bikes = agency.register(200)
    items = [agency.event(b, location={"lat": 33.8701, "lng": 115.7502}) for b in bikes]
    collections: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.collect()
    gc.callbacks.append(count)
    try:
        result = events_ingest(operator=agency.operator, items=items)
    finally:
        gc.callbacks.remove(count)
    # At most the one young-generation pass that the batch's allocations trigger as soon as
    # the collector is back on (with it on throughout, this batch of 200 ran 7).
    assert result.success == 200 and collections in ([], [0]) and gc.isenabled()


def test_a_batch_mixing_stored_and_new_events_stores_and_evaluates_only_the_new(
    agency: Agency, other_agency: Agency, spots: list
) -> None:
    """Ingest does not look up stored event_ids first: when its INSERT stores fewer rows
    than it built, it undoes them and runs the batch again, looking first. Nothing is lost
    or evaluated twice, the operator's own repeats are successes and another operator's
    ids are refused."""
    bikes = agency.register(3)
    inside = {"lat": 33.8701, "lng": 115.7502}
    first = agency.event(bikes[0], location=inside)
    assert agency.post("/events", [first]).json()["success"] == 1
    fresh = [agency.event(b, location=inside) for b in bikes[1:]]
    body = agency.post("/events", [fresh[0], first, fresh[1]]).json()
    assert body == {"success": 3, "total": 3, "failures": []}
    assert MdsEvent.objects.count() == 3
    # One decision per event (in spot: kept on the event), the repeat not judged again.
    assert MdsEvent.objects.filter(decision__verdict="in_spot").count() == 3
    assert not ParkingCheck.objects.exists()
    assert BikeParking.objects.filter(parked=True).count() == 3

    theirs = other_agency.register(1, start=50)[0]
    stolen = {**other_agency.event(theirs), "event_id": first["event_id"]}
    own = other_agency.event(theirs)
    response = other_agency.post("/events", [stolen, own]).json()
    assert response["success"] == 1
    assert [f["error_description"] for f in response["failures"]] == [
        "event_id 已被其他运营企业使用。"
    ]
    assert MdsEvent.objects.get(event_id=first["event_id"]).operator_id == agency.operator.pk
    assert MdsEvent.objects.filter(event_id=own["event_id"]).exists()


def test_telemetry_mixing_stored_and_new_points_stores_and_evaluates_only_the_new(
    agency: Agency, other_agency: Agency, spots: list
) -> None:
    """Telemetry takes the same two passes as events (`ingest_passes`)."""
    bikes = agency.register(3)
    for bike in bikes:
        bike.vehicle_state = "available"  # parked: its telemetry is judged
        bike.save(update_fields=["vehicle_state"])
    inside = {"lat": 33.8701, "lng": 115.7502, "horizontal_accuracy": 1.0}
    first = agency.telemetry(bikes[0], location=inside)
    assert agency.post("/telemetry", [first]).json()["success"] == 1
    decided = Telemetry.objects.filter(decision__isnull=False)
    assert decided.count() == 1
    decision = decided.get().decision
    fresh = [agency.telemetry(b, location=inside) for b in bikes[1:]]
    body = agency.post("/telemetry", [fresh[0], first, fresh[1]]).json()
    assert body == {"success": 3, "total": 3, "failures": []}
    assert Telemetry.objects.count() == 3
    assert decided.count() == 3  # in spot: each kept on its point, no rows
    assert Telemetry.objects.get(telemetry_id=first["telemetry_id"]).decision == decision
    assert not ParkingCheck.objects.exists()

    theirs = other_agency.register(1, start=50)[0]
    stolen = {**other_agency.telemetry(theirs), "telemetry_id": first["telemetry_id"]}
    response = other_agency.post("/telemetry", [stolen]).json()
    assert response["success"] == 0
    assert [f["error_description"] for f in response["failures"]] == [
        "telemetry_id 已被其他运营企业使用。"
    ]
    assert Telemetry.objects.get(telemetry_id=first["telemetry_id"]).operator_id == (
        agency.operator.pk
    )
