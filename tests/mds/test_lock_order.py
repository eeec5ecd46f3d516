"""Bulk writes of bike rows take their locks in bike id order, so two concurrent batches that
share bikes queue on PostgreSQL instead of deadlocking (SQLite has one writer at a time)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from nuanxin.bikes.models import Bike
from nuanxin.mds.ingest.events import advance_state_prepare
from tests.compliance.factories import make_bike

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks exist on PostgreSQL only"
    ),
]


def _advance(bikes: list[Bike], at: Any) -> None:
    """One batch's state writes; `bikes` in the order the batch's events named them."""
    latest = {
        b.pk: ("available", ["trip_end"], at, 33.87, 115.75, 1.0, None, None, None) for b in bikes
    }
    advance_state_prepare(latest).run()


def test_two_batches_sharing_bikes_in_opposite_orders_both_commit(personas: Any) -> None:
    first, second = make_bike(personas.operator, 1), make_bike(personas.operator, 2)
    now = timezone.now()
    errors: list[BaseException] = []
    holding = threading.Event()
    release = threading.Event()

    def batch_b() -> None:  # holds `first`, later also writes `second`
        try:
            with transaction.atomic():
                _advance([first], now)
                holding.set()
                release.wait(10)
                _advance([second], now + timedelta(seconds=2))
        except BaseException as exc:  # a deadlock would surface here or in batch A
            errors.append(exc)
        finally:
            connections.close_all()

    b = threading.Thread(target=batch_b)
    b.start()
    assert holding.wait(10)

    def batch_a() -> None:  # names `second` before `first`
        try:
            with transaction.atomic():
                _advance([second, first], now + timedelta(seconds=1))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    a = threading.Thread(target=batch_a)
    a.start()
    time.sleep(0.5)  # batch A now waits for `first`, holding nothing (ids in order)
    release.set()
    b.join(20)
    a.join(20)
    assert errors == []
    assert set(Bike.objects.values_list("vehicle_state", flat=True)) == {"available"}
