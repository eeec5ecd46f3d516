from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from nuanxin.violations.models import SlipCounter
from nuanxin.violations.services_slip import slip_number_allocate


def test_numbers_are_per_bureau_and_year(personas: Any) -> None:
    assert slip_number_allocate(bureau=personas.bureau, year=2026) == (
        1, "亳城管温提〔2026〕第000001号",
    )  # fmt: skip
    assert slip_number_allocate(bureau=personas.bureau, year=2026)[0] == 2
    assert slip_number_allocate(bureau=personas.bureau, year=2027)[0] == 1


def test_a_rolled_back_recording_gives_its_number_back(personas: Any) -> None:
    slip_number_allocate(bureau=personas.bureau, year=2026)
    with pytest.raises(RuntimeError), transaction.atomic():
        slip_number_allocate(bureau=personas.bureau, year=2026)
        raise RuntimeError("printing failed")
    assert slip_number_allocate(bureau=personas.bureau, year=2026)[0] == 2


def _run_threads(n: int, work: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as exc:  # reported by the caller
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_slip_numbers_are_exact_under_concurrency_on_postgres(personas: Any) -> None:
    if not settings.IS_POSTGRES:
        pytest.skip("row locks are only meaningful on PostgreSQL")
    numbers: list[int] = []
    lock = threading.Lock()

    def work(_i: int) -> None:
        for _ in range(25):
            with transaction.atomic():
                serial, _n = slip_number_allocate(bureau=personas.bureau, year=2026)
            with lock:
                numbers.append(serial)

    assert not _run_threads(8, work)
    assert sorted(numbers) == list(range(1, 201))
    assert SlipCounter.objects.get(bureau=personas.bureau, year=2026).last_serial == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_at_once_never_both_see_a_first_offence(personas: Any) -> None:
    if not settings.IS_POSTGRES:
        pytest.skip("row locks are only meaningful on PostgreSQL")
    from pathlib import Path

    from nuanxin.laws.loader import catalogue_load
    from nuanxin.laws.selectors import tag_get
    from nuanxin.violations.models import Violation
    from nuanxin.violations.services import party_for_merchant, violation_record

    catalogue_load(path=Path(__file__).resolve().parents[2] / "data" / "law" / "catalogue.yaml")
    party = party_for_merchant(merchant=personas.merchant_shop, by=personas.officer_a)
    officers = [personas.officer_a, personas.officer_a2]
    when = timezone.now() - dt.timedelta(hours=2)

    def work(i: int) -> None:
        violation_record(
            party=party, tag=tag_get("open_air_bbq"), occurred_at=when,
            place="人民路18号", lat=33.87, lng=115.75, by=officers[i],
        )  # fmt: skip

    errors = _run_threads(2, work)
    # The party row lock makes the second officer see the first record: one is stored,
    # the other is refused as a duplicate (without the lock both would be "first offences").
    assert Violation.objects.count() == 1
    assert [getattr(e, "code", repr(e)) for e in errors] == ["duplicate_violation"]
