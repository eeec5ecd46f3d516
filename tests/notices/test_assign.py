"""A notice opened while none of the operator's workers was free gets one when a worker is
free again."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from nuanxin.audit.models import AuditEvent
from nuanxin.bikes.models import MaintenanceWorker
from nuanxin.compliance.services import bikes_moved
from nuanxin.notices.assign import notices_assign_waiting
from nuanxin.notices.models import Notice
from tests.compliance.factories import make_bike, moved
from tests.notices.test_loop import violate


def test_a_waiting_notice_gets_the_worker_freed_by_a_fix(city):
    MaintenanceWorker.objects.filter(pk=city.far_worker.pk).update(on_duty=False)
    violate(city.bike)
    busy = Notice.objects.get(bike=city.bike)
    second_bike = make_bike(city.bike.operator)
    violate(second_bike)
    waiting = Notice.objects.get(bike=second_bike)
    assert busy.worker == city.worker and waiting.worker is None
    now = timezone.now()
    assert notices_assign_waiting(now=now) == 0  # nobody is free yet

    bikes_moved(observations=[moved(city.bike, now)])
    assert notices_assign_waiting(now=now) == 1
    waiting.refresh_from_db()
    assert waiting.worker == city.worker and waiting.eta_seconds is not None
    assert AuditEvent.objects.filter(action="notice.assign", object_id=str(waiting.pk)).exists()
    assert notices_assign_waiting(now=now) == 0


def test_a_worker_back_on_duty_takes_the_most_urgent_waiting_notice(city):
    MaintenanceWorker.objects.filter(operator=city.bike.operator).update(on_duty=False)
    violate(city.bike, at=timezone.now() - dt.timedelta(minutes=3))
    later_bike = make_bike(city.bike.operator)
    violate(later_bike)
    assert not Notice.objects.filter(worker__isnull=False).exists()
    MaintenanceWorker.objects.filter(pk=city.worker.pk).update(on_duty=True)
    assert notices_assign_waiting(now=timezone.now()) == 1
    urgent = Notice.objects.order_by("deadline").first()
    assert urgent is not None and urgent.worker == city.worker


def test_a_notice_past_its_deadline_is_not_assigned(city):
    MaintenanceWorker.objects.filter(operator=city.bike.operator).update(on_duty=False)
    violate(city.bike)
    notice = Notice.objects.get(bike=city.bike)
    MaintenanceWorker.objects.filter(pk=city.worker.pk).update(on_duty=True)
    assert notices_assign_waiting(now=notice.deadline + dt.timedelta(seconds=1)) == 0
