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


def test_select_in_finds_ints_and_any_text_in_one_statement() -> None:
    """ints and strs go in as one JSON array (SQLite: json_each; PostgreSQL: an array), so a
    long list is one statement, and quotes or Chinese in a value are only data."""
    from django.test.utils import CaptureQueriesContext

    odd = Bureau.objects.create(code="B'1\"", name="一局", short_name="一")
    other = Bureau.objects.create(code="局二", name="二局", short_name="二")
    table = Bureau._meta.db_table
    by_code = f"SELECT id FROM {table} WHERE code IN ({{ids}})"
    with CaptureQueriesContext(connection) as queries:
        found = select_in(by_code, [f"X{i}" for i in range(2000)] + ["局二", "B'1\""])
        by_pk = select_in(f"SELECT code FROM {table} WHERE id IN ({{ids}})", [odd.pk, -1])
        short = select_in(by_code, ["局二"])
    assert sorted(found) == sorted([(odd.pk,), (other.pk,)])
    assert by_pk == [("B'1\"",)] and short == [(other.pk,)]
    if connection.vendor == "sqlite":
        # The same statement whatever the length (the log shows the parameter inlined):
        # sqlite3 prepares it once and caches it.
        texts = [q["sql"].split("json_each(")[0] for q in queries.captured_queries]
        assert len(texts) == 3 and texts[0] == texts[2] and texts[0].endswith("SELECT value FROM ")


def test_select_in_chunks_values_json_does_not_carry() -> None:
    b1 = Bureau.objects.create(code="B1", name="一局", short_name="一")
    rows = select_in(
        f"SELECT code FROM {Bureau._meta.db_table} WHERE id IN ({{ids}})",
        [float(i + 100_000) for i in range(2000)] + [float(b1.pk)],
        chunk=500,
    )
    assert rows == [("B1",)]


def test_bulk_execute_inserts_every_row_and_keeps_on_conflict() -> None:
    """executemany (on PostgreSQL through a cursor that binds on the server): every row
    lands once, ON CONFLICT still applies per row, and a non-INSERT statement runs per
    row."""
    from nuanxin.mds import fastdb

    table = Bureau._meta.db_table
    insert = (
        f"INSERT INTO {table} (code, name, short_name, address, phone) "
        "VALUES (%s, %s, %s, '', '') ON CONFLICT (code) DO NOTHING"
    )
    rows = [(f"C{i:03d}", f"局{i}", f"{i}") for i in range(30)]
    with transaction.atomic():
        fastdb.bulk_execute(insert, rows)
        fastdb.bulk_execute(insert, [("C005", "另一个", "x"), ("C100", "新局", "n")])
        fastdb.bulk_execute(
            f"UPDATE {table} SET short_name = %s WHERE code = %s", [("五", "C005"), ("百", "C100")]
        )
    names = dict(Bureau.objects.values_list("code", "name"))
    assert len(names) == 31 and names["C005"] == "局5" and names["C100"] == "新局"
    assert Bureau.objects.get(code="C005").short_name == "五"


def test_bulk_errors_are_djangos_own() -> None:
    """A unique violation in a bulk INSERT is django.db.IntegrityError on every database (on
    PostgreSQL the server-binding cursor is psycopg's own, its errors translated), which
    the compliance retry relies on."""
    from django.db import IntegrityError

    from nuanxin.mds import fastdb

    table = Bureau._meta.db_table
    insert = (
        f"INSERT INTO {table} (code, name, short_name, address, phone) VALUES (%s, %s, %s, '', '')"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        fastdb.bulk_execute(insert, [("D1", "甲", "a"), ("D1", "乙", "b")])
    assert not Bureau.objects.filter(code="D1").exists()


def test_datetimes_are_written_as_django_writes_them() -> None:
    """The bulk adapter's value equals Django's own for UTC, another zone, whole seconds and
    microseconds (on SQLite the UTC wall time as text; PostgreSQL takes the value as is)."""
    import datetime as dt

    from nuanxin.mds.fastdb import adapter

    shanghai = dt.timezone(dt.timedelta(hours=8))
    values = [
        dt.datetime(2026, 11, 28, 6, 45, 1, 123456, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 28, 6, 45, 2, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 28, 14, 45, 3, 500, tzinfo=shanghai),
    ]
    to_db = adapter("datetime")
    for v in values:
        first, again = to_db(v), to_db(v)  # the second answer comes from the one-value cache
        assert first == again
        if connection.vendor == "sqlite":
            assert first == connection.ops.adapt_datetimefield_value(v)
        else:
            assert first == v
    if connection.vendor == "sqlite":
        assert to_db(values[2]) == "2026-11-28 06:45:03.000500"


def test_datetime_text_is_djangos_across_minutes_days_and_the_calendars_ends() -> None:
    """The SQLite text is built from a per-minute prefix and the seconds: the same text as
    Django's for every instant of a span that crosses minutes, days and a year, with and
    without microseconds, and at the ends of the calendar."""
    import datetime as dt
    import random

    from nuanxin.mds.fastdb import adapter

    to_db = adapter("datetime")
    rng = random.Random(9)
    start = dt.datetime(2026, 12, 31, 23, 0, tzinfo=dt.UTC)
    values = [start + dt.timedelta(microseconds=rng.randint(0, 7_200_000_000)) for _ in range(3000)]
    values += [start + dt.timedelta(seconds=rng.randint(0, 7200)) for _ in range(300)]
    values += [
        dt.datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC),
        dt.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=dt.UTC),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
    ]
    expected = [connection.ops.adapt_datetimefield_value(v) for v in values]
    if connection.vendor == "sqlite":
        assert [to_db(v) for v in values] == expected


def test_bulk_execute_counts_the_rows_it_changed_and_not_the_conflicts_it_skipped() -> None:
    """Events ingest trusts this count to know whether any event_id was stored before."""
    from nuanxin.mds.fastdb import bulk_execute, bulk_insert_sql

    sql = bulk_insert_sql(Bureau, ["code", "name", "short_name", "address", "phone"])

    def rows(numbers: range) -> list[list[str]]:
        return [[f"B{i}", f"局{i}", f"{i}", "", ""] for i in numbers]

    with transaction.atomic():
        assert bulk_execute(sql, rows(range(5))) == 5
        assert bulk_execute(sql, rows(range(3, 8))) == 3
        assert bulk_execute(sql, []) == 0
    assert Bureau.objects.count() == 8


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL binds Jsonb")
def test_json_values_reach_sqlite_as_exact_str() -> None:
    """A str subclass (RawJson) would go through sqlite3's adapter lookup and a copy inside
    the write lock; the bulk adapter hands over the exact str, with the same text."""
    from nuanxin.mds.fastdb import RawJson, adapter

    to_json = adapter("json")
    for value, text in ((RawJson('["trip_end"]'), '["trip_end"]'), ({"a": "车"}, '{"a":"车"}')):
        adapted = to_json(value)
        assert type(adapted) is str and adapted == text


def test_none_is_written_to_a_json_column_as_sql_null() -> None:
    """As Django writes None to a JSONField: NULL, which `__isnull` and partial indexes on
    `IS NOT NULL` see, not the JSON text null."""
    from nuanxin.mds.fastdb import adapter

    assert adapter("json")(None) is None
    assert adapter("json")([]) is not None
