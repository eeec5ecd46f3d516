from __future__ import annotations

import threading
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction

from nuanxin.core.errors import DomainError
from nuanxin.documents.models import DocumentCounter
from nuanxin.documents.services import number_allocate, number_allocate_range


def test_it_numbers_per_agency_year_and_type(personas: Any) -> None:
    bureau = personas.bureau
    assert number_allocate(bureau=bureau, doc_type="penalty_decision", year=2026) == (
        1,
        "亳城管罚决字〔2026〕第000001号",
    )
    assert number_allocate(bureau=bureau, doc_type="penalty_decision", year=2026)[0] == 2
    assert number_allocate(bureau=bureau, doc_type="penalty_decision", year=2027)[0] == 1
    serial, number = number_allocate(bureau=bureau, doc_type="prior_notice", year=2026)
    assert (serial, number) == (1, "亳城管罚告字〔2026〕第000001号")


def test_a_range_is_contiguous_and_continues_the_series(personas: Any) -> None:
    bureau = personas.bureau
    number_allocate(bureau=bureau, doc_type="penalty_decision", year=2026)
    got = number_allocate_range(bureau=bureau, doc_type="penalty_decision", year=2026, count=3)
    assert [s for s, _n in got] == [2, 3, 4]
    assert got[-1][1] == "亳城管罚决字〔2026〕第000004号"
    assert number_allocate(bureau=bureau, doc_type="penalty_decision", year=2026)[0] == 5
    assert (
        number_allocate_range(bureau=bureau, doc_type="penalty_decision", year=2026, count=0) == []
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        number_allocate_range(bureau=bureau, doc_type="penalty_decision", year=2026, count=500)
        raise RuntimeError("rolled back")
    assert number_allocate(bureau=bureau, doc_type="penalty_decision", year=2026)[0] == 6


def test_a_rolled_back_issue_gives_its_number_back(personas: Any) -> None:
    bureau = personas.bureau
    number_allocate(bureau=bureau, doc_type="service_receipt", year=2026)
    with pytest.raises(RuntimeError), transaction.atomic():
        number_allocate(bureau=bureau, doc_type="service_receipt", year=2026)
        raise RuntimeError("rendering failed")
    assert number_allocate(bureau=bureau, doc_type="service_receipt", year=2026)[0] == 2


def test_it_refuses_an_unknown_doc_type(personas: Any) -> None:
    with pytest.raises(DomainError) as exc:
        number_allocate(bureau=personas.bureau, doc_type="../secrets", year=2026)
    assert exc.value.code == "unknown_doc_type"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_numbering_is_exact_under_concurrency_on_postgres(personas: Any) -> None:
    if not settings.IS_POSTGRES:
        pytest.skip("row locks are only meaningful on PostgreSQL")
    bureau = personas.bureau
    threads, per_thread = 8, 25
    numbers: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(per_thread):
                with transaction.atomic():
                    serial, _number = number_allocate(
                        bureau=bureau, doc_type="penalty_decision", year=2026
                    )
                with lock:
                    numbers.append(serial)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors
    assert sorted(numbers) == list(range(1, threads * per_thread + 1))
    counter = DocumentCounter.objects.get(bureau=bureau, doc_type="penalty_decision", year=2026)
    assert counter.last_serial == threads * per_thread


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_document_issue_gives_gapless_unique_numbers_on_postgres(
    personas: Any, signing_keys: Any
) -> None:
    if not settings.IS_POSTGRES:
        pytest.skip("row locks are only meaningful on PostgreSQL")
    from nuanxin.documents.models import Document
    from nuanxin.documents.samples import sample_context
    from nuanxin.documents.services import document_issue

    threads, per_thread = 4, 3
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def worker(officer: Any) -> None:
        try:
            barrier.wait()
            for _ in range(per_thread):
                document_issue(
                    doc_type="service_receipt",
                    bureau=personas.bureau,
                    context=sample_context("service_receipt"),
                    signers=[officer],
                    by=officer,
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    officers = [personas.officer_a, personas.officer_a2, personas.officer_b, personas.chief]
    pool = [threading.Thread(target=worker, args=(o,)) for o in officers]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors
    serials = sorted(Document.objects.values_list("serial", flat=True))
    assert serials == list(range(1, threads * per_thread + 1))
    assert Document.objects.values("number").distinct().count() == threads * per_thread
