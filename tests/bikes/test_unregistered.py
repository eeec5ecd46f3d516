"""Data sent for an unregistered bike is counted once per event / telemetry / trip id, so a
retried batch (MDS ingest is idempotent on those ids) does not count again."""

from __future__ import annotations

import uuid
from typing import Any

from nuanxin.bikes.models import Operator, UnregisteredSighting
from nuanxin.bikes.services import unregistered_record
from tests.mds.conftest import Agency


def _counts(operator: Operator, device: uuid.UUID) -> tuple[int, int]:
    operator.refresh_from_db()
    sighting = UnregisteredSighting.objects.get(operator=operator, device_id=device)
    return operator.unregistered_event_count, sighting.count


def test_a_source_id_is_counted_once(personas: Any) -> None:
    op = personas.operator
    device, e1, e2, e3 = (uuid.uuid4() for _ in range(4))
    unregistered_record(operator=op, device_ids={device: [e1, e2]})
    assert _counts(op, device) == (2, 2)
    unregistered_record(operator=op, device_ids={device: [e1, e2]})  # the retry
    assert _counts(op, device) == (2, 2)
    unregistered_record(operator=op, device_ids={str(device): [str(e2), str(e3), str(e3)]})
    assert _counts(op, device) == (3, 3)
    # Another operator's ids are its own.
    other = personas.other_operator
    unregistered_record(operator=other, device_ids={device: [e1]})
    assert _counts(other, device) == (1, 1)
    assert _counts(op, device) == (3, 3)


def test_a_batch_without_unregistered_devices_costs_nothing(
    personas: Any, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        unregistered_record(operator=personas.operator, device_ids={})


def test_callers_that_pass_counts_are_still_counted(personas: Any) -> None:
    device = uuid.uuid4()
    unregistered_record(operator=personas.operator, device_ids={device: 2})
    assert _counts(personas.operator, device) == (2, 2)


def test_a_retried_event_of_an_unregistered_bike_is_counted_once(agency: Agency) -> None:
    ghost = type("Ghost", (), {"device_id": uuid.uuid4()})()
    events = [agency.event(ghost), agency.event(ghost)]
    assert agency.post("/events", events).status_code == 404
    assert _counts(agency.operator, ghost.device_id) == (2, 2)
    assert agency.post("/events", events).status_code == 404  # the retry
    assert _counts(agency.operator, ghost.device_id) == (2, 2)


def test_ids_are_forgotten_after_the_keep_period_and_the_counts_stay(personas: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from nuanxin.bikes.models import UnregisteredReport
    from nuanxin.bikes.services import UNREGISTERED_REPORT_KEEP_DAYS, unregistered_reports_prune
    from nuanxin.core.jobs import registered_jobs

    device, old, new = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    unregistered_record(operator=personas.operator, device_ids={device: [old, new]})
    UnregisteredReport.objects.filter(source_id=old).update(
        received_at=timezone.now() - timedelta(days=UNREGISTERED_REPORT_KEEP_DAYS, hours=1)
    )
    job = {j.name: j for j in registered_jobs()}["bikes.unregistered_reports_prune"]
    assert job.func(timezone.now()) == 1
    assert list(UnregisteredReport.objects.values_list("source_id", flat=True)) == [new]
    assert unregistered_reports_prune(now=timezone.now()) == 0
    assert _counts(personas.operator, device) == (2, 2)
