"""Notices opened and fixed per batch: the same outcome as one by one, in a fixed number of
queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nuanxin.audit.models import AuditEvent
from nuanxin.compliance.services import bikes_moved, parked_bikes_evaluate
from nuanxin.notices.dispatch import DispatchPool, PlanRequest
from nuanxin.notices.models import Notice, WebhookDelivery
from nuanxin.notices.penalties import penalties_issue_due
from nuanxin.notices.services import (
    notice_number_for,
    notice_open,
    notices_on_checks,
    notices_on_moved,
    notices_open_many,
)
from tests.compliance.factories import (
    LAT0,
    LNG0,
    east_of_spot_edge,
    make_bike,
    make_spot,
    make_worker,
    moved,
    offset,
    parked,
)

SH = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def hooked(personas):
    """The operator has a webhook URL: every notice event queues a delivery (none is sent)."""
    personas.operator.webhook_url = "http://127.0.0.1:9/hook"
    personas.operator.webhook_secret = "whsec-test-0123456789abcdef"
    personas.operator.save()
    return personas.operator


def outside(bikes, *, at=None, open_notices=False):
    """One batch: each bike parked outside, 30 m, 35 m, … east of S1, a second apart."""
    at = at or timezone.now()
    return parked_bikes_evaluate(
        observations=[
            parked(bike, *east_of_spot_edge(30.0 + 5 * k), at=at + dt.timedelta(seconds=k))
            for k, bike in enumerate(bikes)
        ],
        open_notices=open_notices,
    )


def test_one_batch_opens_its_notices_together(city, personas, hooked):
    near = make_worker(personas.operator, "worker_q3", *offset(LAT0, LNG0, 40, 0))
    bikes = [city.bike, make_bike(personas.operator), make_bike(personas.operator)]
    summary = outside(bikes)
    opened = notices_on_checks(checks=summary.decisions)

    notices = list(Notice.objects.filter(bike__in=bikes).order_by("observed_at"))
    assert [n.pk for n in opened] == [n.pk for n in notices]
    pks = [n.pk for n in notices]
    assert pks == list(range(pks[0], pks[0] + 3))
    assert [n.number for n in notices] == [
        notice_number_for(pk=n.pk, issued_at=n.issued_at) for n in notices
    ]
    # In order of observation, each takes the nearest worker still free.
    assert [n.worker for n in notices] == [near, city.worker, city.far_worker]
    assert all(n.target_spot == city.spot.spot for n in notices)
    for n, check in zip(notices, summary.decisions, strict=True):
        (audit,) = AuditEvent.objects.filter(action="notice.open", object_id=str(n.pk))
        assert audit.actor_label == "system:notices"
        assert audit.after == {
            "kind": "violation",
            "check": check.pk,
            "deadline": DjangoJSONEncoder().default(n.deadline),
            "worker": n.worker_id,
        }
        (hook,) = WebhookDelivery.objects.filter(notice=n)
        assert hook.event == "notice.opened"
        assert hook.payload["notice"]["number"] == n.number
        assert hook.payload["notice"]["explanation"]["nearest_spot"] == "S1"


def test_planning_a_batch_equals_planning_one_by_one(city, personas):
    for _ in range(2):  # S1 (capacity 2) is full: the nearest spot with room is S2
        parked_bikes_evaluate(observations=[parked(make_bike(personas.operator), LAT0, LNG0)])
    make_worker(personas.operator, "worker_q3", *offset(LAT0, LNG0, 40, 0))
    at = timezone.now()
    requests = [
        PlanRequest(personas.operator.pk, *east_of_spot_edge(30), "a"),
        PlanRequest(personas.other_operator.pk, *east_of_spot_edge(60), "b"),
        PlanRequest(personas.operator.pk, *offset(LAT0, LNG0, 0, 3000), "far from any spot"),
        PlanRequest(personas.operator.pk, *east_of_spot_edge(90), "c"),
        PlanRequest(personas.operator.pk, *east_of_spot_edge(10), "no worker left"),
    ]
    together = DispatchPool.load(operator_ids=[r.operator_id for r in requests], at=at)
    one_by_one = DispatchPool.load(operator_ids=[r.operator_id for r in requests], at=at)
    planned = together.plan_many(requests)
    assert planned == [one_by_one.plan(**r._asdict()) for r in requests]
    assert planned[0].target_spot == city.spot2.spot and planned[2].target_spot is None
    assert planned[4].worker is None


def test_nearest_spot_with_room_past_two_dozen_full_ones(personas):
    """Thirty one-bike spots every 20 m east of the bike, the nearest 26 taken: the answer
    is the 27th, found past the first window of candidates and past the radius that first
    held two dozen spots (searched again, wider)."""
    row = [make_spot(f"R{i}", *offset(LAT0, LNG0, 20.0 * i, 0), capacity=1) for i in range(1, 31)]
    for version in row[:26]:
        bike = make_bike(personas.operator)
        parked_bikes_evaluate(observations=[parked(bike, version.center_lat, version.center_lng)])
    pool = DispatchPool.load(operator_ids=[personas.operator.pk], at=timezone.now())
    (plan,) = pool.plan_many([PlanRequest(personas.operator.pk, LAT0, LNG0, "bike")])
    assert plan.target_spot == row[26].spot
    assert plan.target_distance_m == pytest.approx(20.0 * 27 - 5.0, abs=0.01)  # to its edge
    assert (
        DispatchPool.load(operator_ids=[personas.operator.pk], at=timezone.now()).plan(
            operator_id=personas.operator.pk, lat=LAT0, lng=LNG0, label="bike"
        )
        == plan
    )


def test_a_bike_opened_concurrently_gets_none_and_the_rest_still_open(city, personas, hooked):
    second = make_bike(personas.operator)
    summary = outside([city.bike, second])
    now = timezone.now()
    pool = DispatchPool.load(operator_ids=[personas.operator.pk], at=now)  # a stale view
    concurrent = notice_open(check=summary.decisions[0], now=now)  # another request, first
    assert concurrent is not None

    result = notices_open_many(checks=summary.decisions, now=now, pool=pool)

    assert result[0] is None and result[1] is not None
    assert list(Notice.objects.filter(bike=city.bike)) == [concurrent]
    assert Notice.objects.get(bike=second) == result[1]
    opened = {str(concurrent.pk), str(result[1].pk)}
    assert (
        set(AuditEvent.objects.filter(action="notice.open").values_list("object_id", flat=True))
        == opened
    )
    assert WebhookDelivery.objects.filter(event="notice.opened").count() == 2


def _controlled_notices(city, personas, settings, monkeypatch):
    """A violation, a second violation and a position to confirm, all issued at 14:45 with
    a deadline at 15:00 and no clock-skew allowance."""
    settings.FIX_WINDOW_SECONDS = 900
    monkeypatch.setenv("NOTICE_SKEW_SECONDS", "0")
    monkeypatch.setenv("NOTICE_LATE_EVENT_SECONDS", "300")
    issued = dt.datetime(2026, 11, 28, 14, 45, tzinfo=SH)
    seen = issued - dt.timedelta(seconds=20)
    bikes = [city.bike, make_bike(personas.operator), make_bike(personas.operator)]
    uncertain = parked(bikes[2], *east_of_spot_edge(5.0), at=seen, accuracy=10.0)
    summary = parked_bikes_evaluate(
        observations=[
            parked(bikes[0], *east_of_spot_edge(30.0), at=seen, accuracy=3.0),
            parked(bikes[1], *east_of_spot_edge(40.0), at=seen, accuracy=3.0),
            uncertain,
        ],
        open_notices=False,
    )
    notices = [notice_open(check=c, now=issued) for c in summary.decisions]
    assert [n.kind for n in notices if n] == ["violation", "violation", "confirm"]
    return bikes, notices


def test_one_batch_with_on_time_and_late_fixes(city, personas, settings, monkeypatch, hooked):
    bikes, (on_time, late, confirm) = _controlled_notices(city, personas, settings, monkeypatch)
    at_1459 = dt.datetime(2026, 11, 28, 14, 59, tzinfo=SH)
    at_1501 = dt.datetime(2026, 11, 28, 15, 1, tzinfo=SH)
    evidence = [moved(bikes[0], at_1459), moved(bikes[1], at_1501), moved(bikes[2], at_1501)]

    assert bikes_moved(observations=evidence) == 2

    for n in (on_time, late, confirm):
        n.refresh_from_db()
    assert (on_time.status, on_time.fixed_at, on_time.late_fix_at) == ("fixed", at_1459, None)
    assert (late.status, late.fixed_at, late.late_fix_at) == ("open", None, at_1501)
    assert (confirm.status, confirm.fixed_at) == ("closed", at_1501)  # never penalised
    (fix,) = AuditEvent.objects.filter(action="notice.fix", object_id=str(on_time.pk))
    assert fix.before == {"status": "open", "fixed_at": None, "fix_reason": "", "late_fix_at": None}
    assert fix.after == {
        "status": "fixed",
        "fixed_at": "2026-11-28T06:59:00Z",
        "fix_reason": "compliance_pick_up",
        "late_fix_at": None,
        "source_id": evidence[0].source_id,
    }
    (late_audit,) = AuditEvent.objects.filter(action="notice.late_fix")
    assert late_audit.object_id == str(late.pk)
    assert late_audit.after == {
        "evidence_at": "2026-11-28T15:01:00+08:00",
        "reason": "compliance_pick_up",
        "source_id": evidence[1].source_id,
    }
    fixed_hooks = WebhookDelivery.objects.filter(event="notice.fixed")
    assert {h.notice_id for h in fixed_hooks} == {on_time.pk, confirm.pk}
    assert {h.payload["notice"]["status"] for h in fixed_hooks} == {"fixed", "closed"}

    # Later late evidence keeps the first late time; the penalty goes ahead, exactly once.
    bikes_moved(observations=[moved(bikes[1], at_1501 + dt.timedelta(minutes=1))])
    late.refresh_from_db()
    assert late.late_fix_at == at_1501
    assert AuditEvent.objects.filter(action="notice.late_fix").count() == 1
    assert penalties_issue_due(late.due_at) == 1
    late.refresh_from_db()
    assert late.status == "penalised"
    assert bikes_moved(observations=[moved(bikes[1], late.due_at)]) == 0


def test_a_fix_then_a_new_violation_of_the_same_bike_in_one_batch(city):
    first = outside([city.bike], open_notices=True)
    old = Notice.objects.get(bike=city.bike)
    later = first.decisions[0].observed_at + dt.timedelta(minutes=2)
    parked_bikes_evaluate(
        observations=[
            parked(city.bike, LAT0, LNG0, at=later),
            parked(city.bike, *east_of_spot_edge(50.0), at=later + dt.timedelta(minutes=1)),
        ]
    )
    old.refresh_from_db()
    assert (old.status, old.fix_reason, old.fixed_at) == ("fixed", "in_spot", later)
    new = Notice.objects.get(bike=city.bike, status="open")
    assert new.pk != old.pk and new.worker == city.worker  # freed by the fix, taken again


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_the_number_of_notices(
    city, personas, hooked, django_assert_max_num_queries
):
    counts = {}
    for n in (2, 20):
        for k in range(n):
            make_worker(personas.operator, f"w{n}_{k}", *offset(LAT0, LNG0, 100 + k, 0))
        bikes = [make_bike(personas.operator) for _ in range(n)]
        summary = outside(bikes)
        opening = _queries(lambda s=summary: notices_on_checks(checks=s.decisions))
        assert Notice.objects.filter(bike__in=bikes, status="open").count() == n
        later = timezone.now() + dt.timedelta(minutes=1)
        half = n // 2
        in_spot = parked_bikes_evaluate(
            observations=[parked(b, LAT0, LNG0, at=later) for b in bikes[:half]],
            open_notices=False,
        )
        fixing_in_spot = _queries(lambda s=in_spot: notices_on_checks(checks=s.decisions))
        picked_up = [moved(b, later) for b in bikes[half:]]
        fixing_moved = _queries(lambda p=picked_up: notices_on_moved(observations=p))
        assert not Notice.objects.filter(bike__in=bikes, status="open").exists()
        assert WebhookDelivery.objects.filter(notice__bike__in=bikes).count() == 2 * n
        counts[n] = (opening, fixing_in_spot, fixing_moved)
    assert counts[2] == counts[20]
    summary = outside([make_bike(personas.operator) for _ in range(5)])
    with django_assert_max_num_queries(20):
        assert len(notices_on_checks(checks=summary.decisions)) == 5
