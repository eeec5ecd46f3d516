"""Each bike's parking state (`BikeParking`) follows its newest observation, whether the row
is new (INSERT) or known (UPDATE), and out-of-order input never rolls it back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from nuanxin.compliance.models import BikeParking, ParkingCheck
from nuanxin.compliance.services import (
    bikes_moved,
    judgement_apply,
    parked_bikes_evaluate,
    parked_bikes_judge,
    spot_occupancy,
)
from tests.compliance.factories import LAT0, LNG0, east_of_spot_edge, make_bike, make_spot, moved
from tests.compliance.factories import parked as observed


def state(bike):
    row = BikeParking.objects.get(bike=bike)
    return row.parked, row.verdict, row.spot_id


def test_parking_state_follows_the_newest_observation_in_any_order(personas):
    spot = make_spot("S1", capacity=5)
    bike = make_bike(personas.operator)
    t0 = timezone.now() - dt.timedelta(minutes=10)

    parked_bikes_evaluate(observations=[observed(bike, LAT0, LNG0, at=t0)], open_notices=False)
    assert state(bike) == (True, "in_spot", spot.spot_id)  # a new row
    assert spot_occupancy(spot_ids={spot.spot_id}) == {spot.spot_id: {personas.operator.pk: 1}}

    outside = observed(bike, *east_of_spot_edge(40), at=t0 + dt.timedelta(minutes=2))
    parked_bikes_evaluate(observations=[outside], open_notices=False)
    assert state(bike) == (True, "outside", None)  # a known row, updated

    older = observed(bike, LAT0, LNG0, at=t0 + dt.timedelta(minutes=1))
    parked_bikes_evaluate(observations=[older], open_notices=False)
    assert state(bike) == (True, "outside", None)  # older: decided, but not the state

    back = observed(bike, LAT0, LNG0, at=t0 + dt.timedelta(minutes=3))
    parked_bikes_evaluate(observations=[back], open_notices=False)
    assert state(bike) == (True, "in_spot", spot.spot_id)
    assert BikeParking.objects.get(bike=bike).check_id_ref is not None


def test_a_move_frees_the_spot_and_an_older_parking_does_not_undo_it(personas):
    spot = make_spot("S1", capacity=5)
    bike = make_bike(personas.operator)
    t0 = timezone.now() - dt.timedelta(minutes=10)
    parked_bikes_evaluate(observations=[observed(bike, LAT0, LNG0, at=t0)], open_notices=False)

    bikes_moved(observations=[moved(bike, t0 + dt.timedelta(minutes=5), "trip_start")])
    assert state(bike) == (False, "", None)
    assert spot_occupancy(spot_ids={spot.spot_id}) == {}

    stale = observed(bike, LAT0, LNG0, at=t0 + dt.timedelta(minutes=4))
    parked_bikes_evaluate(observations=[stale], open_notices=False)
    assert state(bike) == (False, "", None)
    assert spot_occupancy(spot_ids={spot.spot_id}) == {}

    bikes_moved(observations=[moved(bike, t0 + dt.timedelta(minutes=1))])  # older move
    assert BikeParking.objects.get(bike=bike).at == t0 + dt.timedelta(minutes=5)


def test_a_bike_first_seen_moving_gets_a_not_parked_row(personas):
    make_spot("S1", capacity=5)
    bike, parked_bike = make_bike(personas.operator), make_bike(personas.operator)
    t0 = timezone.now() - dt.timedelta(minutes=10)
    parked_bikes_evaluate(observations=[observed(parked_bike, LAT0, LNG0, at=t0)])

    bikes_moved(  # one batch: a known row (updated) and a new one (inserted)
        observations=[
            moved(bike, t0 + dt.timedelta(minutes=2), "trip_start"),
            moved(parked_bike, t0 + dt.timedelta(minutes=2), "trip_start"),
        ]
    )
    assert state(bike) == (False, "", None) and state(parked_bike) == (False, "", None)

    older = observed(bike, *east_of_spot_edge(40), at=t0 + dt.timedelta(minutes=1))
    parked_bikes_evaluate(observations=[older], open_notices=False)
    assert state(bike) == (False, "", None)


def test_a_spot_is_recorded_only_for_a_bike_parked_in_it(personas):
    """Occupancy counts from the (spot, parked) index alone; the database keeps that true."""
    spot = make_spot("S1", capacity=5)
    bike = make_bike(personas.operator)
    with pytest.raises(IntegrityError), transaction.atomic():
        BikeParking.objects.create(
            bike=bike,
            operator=personas.operator,
            at=timezone.now(),
            verdict="outside",
            spot_id=spot.spot_id,
        )
    assert not BikeParking.objects.exists()


def test_ingest_skips_the_stored_decision_lookup_but_a_stored_one_still_wins(personas):
    """Ingest tells the engine its observations are new (`sources_new`): it just inserted
    their unique event rows, so the engine skips looking for stored decisions. Should one
    exist after all (a concurrent request on PostgreSQL), the unique (source, source_id)
    refuses the insert and the apply runs again with the lookup: one decision, no error."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_spot("S1", capacity=5)
    bike = make_bike(personas.operator)
    fresh = observed(bike, LAT0, LNG0, at=timezone.now() - dt.timedelta(minutes=4))
    with CaptureQueriesContext(connection) as queries:
        judgement_apply(
            judgement=parked_bikes_judge(observations=[fresh]),
            open_notices=False,
            sources_new=True,
        )
    assert not [q for q in queries.captured_queries if "source_id IN" in q["sql"]]
    assert ParkingCheck.objects.filter(source_id=fresh.source_id).count() == 1

    seen = observed(bike, LAT0, LNG0, at=timezone.now() - dt.timedelta(minutes=3))
    parked_bikes_evaluate(observations=[seen], open_notices=False)

    again = judgement_apply(
        judgement=parked_bikes_judge(observations=[seen]), open_notices=False, sources_new=True
    )

    assert again.duplicates == 1 and again.decisions == []
    assert ParkingCheck.objects.filter(source=seen.source, source_id=seen.source_id).count() == 1


def test_ingest_tables_write_json_without_a_per_row_validity_check(personas):
    """The hot tables' JSON columns carry no CHECK (JSON_VALID(...)) on SQLite (each one
    parsed every value again on every write); what they store still reads back as JSON."""
    from django.db import connection

    from nuanxin.mds.models import MdsEvent

    if connection.vendor != "sqlite":
        pytest.skip("the CHECK is SQLite's")
    for model in (MdsEvent, ParkingCheck):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s",
                [model._meta.db_table],
            )
            assert "JSON_VALID" not in cursor.fetchone()[0]
    make_spot("S1", capacity=5)
    bike = make_bike(personas.operator)
    parked_bikes_evaluate(
        observations=[observed(bike, LAT0, LNG0, beacons=("B1",))],
        open_notices=False,
    )
    assert ParkingCheck.objects.get(bike=bike).beacon_ids == ["B1"]


def test_parking_state_is_keyed_by_the_rowid_on_sqlite(personas):
    """BikeParking's key is declared `integer` on SQLite, so it is the table's rowid: no
    separate unique index to search and update on every parking-state write."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the rowid is SQLite's")
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA index_list({BikeParking._meta.db_table})")
        assert [row[1] for row in cursor.fetchall() if row[3] == "pk"] == []
    bike = make_bike(personas.operator)
    make_spot("S1", capacity=5)
    parked_bikes_evaluate(observations=[observed(bike, LAT0, LNG0)], open_notices=False)
    assert BikeParking.objects.get(pk=bike.pk).bike_id == bike.pk


def test_each_stored_decision_holds_exactly_what_was_decided(personas):
    """`checks_prepare` builds the INSERT rows by hand, column by column: every column of
    every stored row equals the decision it came from."""
    from nuanxin.compliance.writes import DECISION_COLUMNS

    make_spot("S1", capacity=5)
    bikes = [make_bike(personas.operator) for _ in range(3)]
    far_lat, far_lng = east_of_spot_edge(300)
    summary = parked_bikes_evaluate(
        observations=[
            observed(bikes[0], LAT0, LNG0, beacons=("B1", "B2")),
            observed(bikes[1], far_lat, far_lng, accuracy=None),
            observed(bikes[2], *east_of_spot_edge(5.0), accuracy=10.0),
        ],
        open_notices=False,
    )
    assert {d.verdict for d in summary.decisions} == {"in_spot", "outside", "uncertain"}
    for decision in summary.decisions:
        stored = ParkingCheck.objects.get(pk=decision.pk)
        for column in DECISION_COLUMNS:
            assert getattr(stored, column) == getattr(decision, column), column
