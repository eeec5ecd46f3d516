"""Bulk-write helpers: reserved ids are fresh and only handed out inside a transaction."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from nuanxin.compliance.models import ParkingCheck
from nuanxin.mds.fastdb import ids_reserve, select_in
from nuanxin.orgs.models import Bureau

pytestmark = pytest.mark.django_db(transaction=True)


def test_reserved_ids_follow_the_table_and_do_not_repeat() -> None:
    with transaction.atomic():
        first = ids_reserve(ParkingCheck, 3)
    assert len(set(first)) == 3 and first == sorted(first)
    with transaction.atomic():
        again = ids_reserve(ParkingCheck, 2)
    if connection.vendor == "postgresql":
        assert min(again) > max(first)  # the sequence moved on


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL takes ids from the sequence")
def test_on_sqlite_ids_are_refused_outside_a_transaction() -> None:
    with pytest.raises(RuntimeError, match="transaction"):
        ids_reserve(ParkingCheck, 1)


def test_select_in_chunks_a_long_list() -> None:
    Bureau.objects.create(code="B1", name="一局", short_name="一")
    rows = select_in(
        f"SELECT code FROM {Bureau._meta.db_table} WHERE code IN ({{ids}})",
        [f"X{i}" for i in range(2000)] + ["B1"],
        chunk=500,
    )
    assert rows == [("B1",)]
