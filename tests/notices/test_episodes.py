"""One notice per parking episode: a bike left where it was is not noticed (and penalised)
again for every report of it; a new parking after a move is, even when it was seen while
the old notice was still open."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from nuanxin.audit.models import AuditEvent
from nuanxin.compliance.services import bikes_moved, parked_bikes_evaluate
from nuanxin.notices.models import Notice, PenaltyDecision, PendingNotice
from nuanxin.notices.penalties import confirmations_expire, penalties_issue_due
from nuanxin.notices.queue import notices_open_queued
from nuanxin.notices.services import notice_fix_report
from tests.compliance.factories import east_of_spot_edge, moved, parked
from tests.notices.test_loop import park_well, violate


def uncertain(bike, at=None):
    """5 m outside the spot edge with 10 m accuracy: within the error, so uncertain."""
    lat, lng = east_of_spot_edge(5.0)
    return parked_bikes_evaluate(observations=[parked(bike, lat, lng, at=at, accuracy=10.0)])


def notices_of(bike):
    return list(Notice.objects.filter(bike=bike).order_by("observed_at", "pk"))


def test_a_bike_left_outside_after_its_penalty_is_not_penalised_again(city):
    violate(city.bike)
    first = Notice.objects.get(bike=city.bike)
    after_due = first.due_at + dt.timedelta(seconds=1)
    assert penalties_issue_due(after_due) == 1
    # The same bike keeps reporting from the same place: the same parking, no new notice.
    violate(city.bike, at=after_due)
    violate(city.bike, at=after_due + dt.timedelta(minutes=30), dist_m=31.0)
    assert notices_of(city.bike) == [first]
    assert penalties_issue_due(after_due + dt.timedelta(hours=2)) == 0
    assert PenaltyDecision.objects.count() == 1


def test_after_the_bike_stood_in_a_spot_a_new_bad_parking_gets_its_own_notice(city):
    violate(city.bike)
    first = Notice.objects.get(bike=city.bike)
    after_due = first.due_at + dt.timedelta(seconds=1)
    penalties_issue_due(after_due)
    park_well(city.bike, at=after_due + dt.timedelta(minutes=1))
    violate(city.bike, at=after_due + dt.timedelta(minutes=5))
    first_again, second = notices_of(city.bike)
    assert first_again == first and second.status == Notice.Status.OPEN
    # Judged against the bike's latest notice, not its first (the spot visit came before it).
    penalties_issue_due(second.due_at + dt.timedelta(seconds=1))
    violate(city.bike, at=second.due_at + dt.timedelta(minutes=1))
    assert len(notices_of(city.bike)) == 2


def test_a_bad_parking_seen_before_the_late_arriving_fix_still_gets_its_notice(city):
    """Outside at t−10 (notice N1); left outside elsewhere at t−6, which arrives first and
    opens nothing while N1 is open; then the trip_start of t−8 arrives and fixes N1: the
    t−6 parking is judged again and gets its notice."""
    now = timezone.now()
    violate(city.bike, at=now - dt.timedelta(minutes=10))
    n1 = Notice.objects.get(bike=city.bike)
    violate(city.bike, at=now - dt.timedelta(minutes=6), dist_m=80.0)
    assert notices_of(city.bike) == [n1]
    bikes_moved(observations=[moved(city.bike, now - dt.timedelta(minutes=8), "trip_start")])
    n1.refresh_from_db()
    assert n1.status == Notice.Status.FIXED
    assert PendingNotice.objects.count() == 1
    assert notices_open_queued(now=now) == 1
    fixed, second = notices_of(city.bike)
    assert fixed == n1 and second.status == Notice.Status.OPEN
    assert second.observed_at == now - dt.timedelta(minutes=6)


def test_a_new_bad_parking_after_a_late_fix_gets_its_notice_once_the_penalty_is_issued(city):
    violate(city.bike)
    n1 = Notice.objects.get(bike=city.bike)
    late = n1.deadline + dt.timedelta(minutes=3)  # beyond the skew allowance: a late fix
    bikes_moved(observations=[moved(city.bike, late)])
    n1.refresh_from_db()
    assert n1.status == Notice.Status.OPEN and n1.late_fix_at == late
    violate(city.bike, at=late + dt.timedelta(minutes=1), dist_m=60.0)  # dropped outside again
    assert notices_of(city.bike) == [n1]
    assert penalties_issue_due(n1.due_at + dt.timedelta(seconds=1)) == 1
    assert notices_open_queued(now=n1.due_at + dt.timedelta(seconds=2)) == 1
    penalised, second = notices_of(city.bike)
    assert penalised.status == Notice.Status.PENALISED and second.status == Notice.Status.OPEN


def test_an_unconfirmed_position_is_closed_at_its_due_time_without_penalty(city):
    uncertain(city.bike)
    notice = Notice.objects.get(bike=city.bike)
    assert notice.kind == Notice.Kind.CONFIRM and notice.worker == city.worker
    assert confirmations_expire(notice.due_at - dt.timedelta(seconds=1)) == 0
    assert confirmations_expire(notice.due_at + dt.timedelta(seconds=1)) == 1
    notice.refresh_from_db()
    assert notice.status == Notice.Status.CLOSED and notice.fix_reason == "unconfirmed"
    assert not PenaltyDecision.objects.exists()
    assert AuditEvent.objects.filter(action="notice.close", object_id=str(notice.pk)).exists()
    # Its worker is free again: the next violation goes to the nearest worker.
    next_bike = make_bike_of(city)
    violate(next_bike)
    assert Notice.objects.get(bike=next_bike).worker == city.worker


def make_bike_of(city):
    from tests.compliance.factories import make_bike

    return make_bike(city.bike.operator)


def test_the_same_uncertain_parking_is_not_asked_twice_but_outside_is_a_violation(city):
    uncertain(city.bike)
    notice = Notice.objects.get(bike=city.bike)
    confirmations_expire(notice.due_at + dt.timedelta(seconds=1))
    uncertain(city.bike, at=notice.due_at + dt.timedelta(minutes=1))
    assert notices_of(city.bike) == [notice]
    violate(city.bike, at=notice.due_at + dt.timedelta(minutes=2))
    closed, violation = notices_of(city.bike)
    assert closed == notice and violation.kind == Notice.Kind.VIOLATION


def test_a_workers_report_answers_a_confirmation_and_frees_the_worker(city, personas):
    uncertain(city.bike)
    notice = Notice.objects.get(bike=city.bike)
    notice_fix_report(notice=notice, by=personas.operator_admin, note="车在停放点内")
    notice.refresh_from_db()
    assert notice.status == Notice.Status.CLOSED
    assert notice.fix_reason == "confirmed_by_worker"
    assert notice.fix_reason_label() == "运维人员已现场确认"
    next_bike = make_bike_of(city)
    violate(next_bike)
    assert Notice.objects.get(bike=next_bike).worker == city.worker


def test_the_portal_asks_the_worker_to_confirm_and_the_report_closes_it(city, client_for):
    uncertain(city.bike)
    notice = Notice.objects.get(bike=city.bike)
    client = client_for(city.worker.user)
    page = client.get(f"/operator/notices/{notice.number}/").content.decode()
    assert 'id="confirm-help"' in page and "已到场确认，上报" in page
    response = client.post(f"/operator/notices/{notice.number}/report", follow=True)
    assert response.status_code == 200
    notice.refresh_from_db()
    assert notice.status == Notice.Status.CLOSED
    closed_page = client.get(f"/operator/notices/{notice.number}/").content.decode()
    assert 'id="closed-reason"' in closed_page and "运维人员已现场确认" in closed_page
    english = client.get(f"/operator/notices/{notice.number}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "confirmed on site by a maintenance worker" in english.content.decode()
