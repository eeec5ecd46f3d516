"""The notice queue: ingest queues flagged decisions, the notice job opens their notices —
the same notices the inline path opens, once each, and none for a bike fixed meanwhile."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from nuanxin.audit.models import AuditEvent
from nuanxin.compliance.services import bikes_moved, judgement_apply, parked_bikes_judge
from nuanxin.core.jobs import registered_jobs
from nuanxin.notices.models import Notice, PendingNotice, WebhookDelivery
from nuanxin.notices.queue import notices_open_queued, queue_lease, queue_open_leased
from nuanxin.notices.services import notice_open
from tests.compliance.factories import (
    LAT0,
    LNG0,
    east_of_spot_edge,
    make_bike,
    make_worker,
    moved,
    offset,
    parked,
)


def ingest_like(observations, *, at=None):
    """What MDS ingest does with a batch's parked bikes: judge, then apply with the
    notices queued."""
    return judgement_apply(
        judgement=parked_bikes_judge(observations=observations), queue_notices=True
    )


def outside(bike, *, k=0, at=None):
    at = at or timezone.now()
    return parked(bike, *east_of_spot_edge(30.0 + 5 * k), at=at + dt.timedelta(seconds=k))


def test_the_job_opens_the_queued_notices_with_dispatch_audit_and_webhook(city, personas):
    personas.operator.webhook_url = "http://127.0.0.1:9/hook"
    personas.operator.webhook_secret = "whsec-test-0123456789abcdef"
    personas.operator.save()
    near = make_worker(personas.operator, "worker_q3", *offset(LAT0, LNG0, 40, 0))
    bikes = [city.bike, make_bike(personas.operator)]
    summary = ingest_like([outside(b, k=k) for k, b in enumerate(bikes)])

    assert not Notice.objects.exists()
    assert sorted(PendingNotice.objects.values_list("decision_id", flat=True)) == sorted(
        d.pk for d in summary.decisions
    )
    assert notices_open_queued() == 2

    notices = list(Notice.objects.order_by("observed_at"))
    assert [n.check_ref_id for n in notices] == [d.pk for d in summary.decisions]
    assert [n.worker for n in notices] == [near, city.worker]  # nearest free first, in order
    assert all(n.target_spot == city.spot.spot for n in notices)
    assert not PendingNotice.objects.exists()
    assert AuditEvent.objects.filter(action="notice.open").count() == 2
    assert WebhookDelivery.objects.filter(event="notice.opened").count() == 2
    assert notices_open_queued() == 0  # nothing left, nothing opened twice


def test_the_job_is_registered_with_the_worker():
    jobs = {job.name: job for job in registered_jobs()}
    assert jobs["notices.open"].every_seconds <= 1.0  # "within seconds" of the violation


def test_a_bike_moved_or_parked_well_before_the_job_runs_gets_no_notice(city, personas):
    ridden, reparked, stays = city.bike, make_bike(personas.operator), make_bike(personas.operator)
    t0 = timezone.now() - dt.timedelta(seconds=30)
    ingest_like([outside(b, k=k, at=t0) for k, b in enumerate([ridden, reparked, stays])])
    bikes_moved(observations=[moved(ridden, t0 + dt.timedelta(seconds=10), "trip_start")])
    ingest_like([parked(reparked, LAT0, LNG0, at=t0 + dt.timedelta(seconds=10))])

    assert notices_open_queued() == 1
    assert list(Notice.objects.values_list("bike_id", flat=True)) == [stays.pk]
    assert not PendingNotice.objects.exists()


def test_in_spot_evidence_fixes_an_open_notice_inline(city):
    earlier = ingest_like([outside(city.bike, at=timezone.now() - dt.timedelta(seconds=60))])
    notice = notice_open(check=earlier.decisions[0])
    assert notice is not None
    PendingNotice.objects.all().delete()

    ingest_like([parked(city.bike, LAT0, LNG0)])  # no job run: the fix needs none

    notice.refresh_from_db()
    assert notice.status == Notice.Status.FIXED and notice.fix_reason == "in_spot"


def test_an_overtaken_lease_opens_nothing_and_each_decision_opens_once(city):
    """A worker that stalls past its lease (killed, or paused) loses its rows to the next
    worker; when it resumes, its transaction deletes nothing and opens nothing."""
    ingest_like([outside(city.bike)])
    now = timezone.now()
    slow_lease = now + dt.timedelta(seconds=60)
    slow = queue_lease(until=slow_lease, now=now)
    assert len(slow) == 1
    assert queue_lease(until=now + dt.timedelta(seconds=90), now=now) == []  # leased: skipped

    later = now + dt.timedelta(seconds=61)  # the lease ran out: another worker takes the row
    assert notices_open_queued(now=later) == 1
    assert queue_open_leased(decision_ids=slow, lease=slow_lease, now=now) == []
    assert Notice.objects.count() == 1
    assert not PendingNotice.objects.exists()


def test_a_killed_job_leaves_its_rows_for_the_next_worker(city):
    ingest_like([outside(city.bike)])
    now = timezone.now()
    queue_lease(until=now + dt.timedelta(seconds=60), now=now)  # …then the worker died
    assert notices_open_queued(now=now + dt.timedelta(seconds=30)) == 0  # still leased
    assert notices_open_queued(now=now + dt.timedelta(seconds=61)) == 1


def test_healthz_reports_a_queue_no_worker_takes(city, client):
    """A decision waiting longer than a lease and a half means no worker runs the job:
    /healthz stays 200 (the web node is fine) but says "degraded", and why."""
    assert client.get("/healthz").json()["checks"]["notice_queue"] == {
        "pending": 0,
        "oldest_seconds": 0.0,
    }
    ingest_like([outside(city.bike)])
    fresh = client.get("/healthz").json()
    assert fresh["status"] == "ok" and fresh["checks"]["notice_queue"]["pending"] == 1

    PendingNotice.objects.update(queued_at=timezone.now() - dt.timedelta(minutes=5))
    stale = client.get("/healthz")
    assert stale.status_code == 200 and stale.json()["status"] == "degraded"
    assert "manage.py worker" in stale.json()["checks"]["notice_queue"]["problem"]

    notices_open_queued()
    assert client.get("/healthz").json()["status"] == "ok"


def test_an_empty_queue_costs_the_job_no_write(city):
    """Twice a second per worker: with nothing to take, the job only reads."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert notices_open_queued() == 0
    assert len(queries) == 1 and queries[0]["sql"].lstrip().upper().startswith("SELECT")

    ingest_like([outside(city.bike)])
    now = timezone.now()
    queue_lease(until=now + dt.timedelta(seconds=60), now=now)
    with CaptureQueriesContext(connection) as queries:  # only leased rows: nothing to take
        assert notices_open_queued(now=now) == 0
    assert len(queries) == 1
