from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from nuanxin.cases.jobs import decision_deadline_warnings
from nuanxin.cases.models import Case


def test_deadline_warnings_fire_once_per_level(personas: Any, file_case: Any) -> None:
    case = file_case()
    today = timezone.localdate()
    now = timezone.now()
    assert decision_deadline_warnings(now) == 0
    Case.objects.filter(pk=case.pk).update(decision_due=today + dt.timedelta(days=10))
    assert decision_deadline_warnings(now) == 1
    assert decision_deadline_warnings(now) == 0  # already warned at this level
    Case.objects.filter(pk=case.pk).update(decision_due=today - dt.timedelta(days=1))
    assert decision_deadline_warnings(now) == 1
    kinds = list(case.actions.values_list("kind", flat=True))
    assert kinds[-2:] == ["deadline_warning", "deadline_overdue"]
    assert Case.objects.get(pk=case.pk).deadline_warned == "overdue"
