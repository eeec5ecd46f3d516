"""A spot change takes effect now or later, never in the past: a past moment always replays
against the spots it had. Codes are compared as they are stored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from nuanxin.bikes.models import Spot, SpotVersion
from nuanxin.bikes.selectors import spots_in_force
from nuanxin.bikes.services_spots import (
    SpotIn,
    spot_retire,
    spot_save,
    spot_save_backdated,
    spots_import,
)
from nuanxin.core.errors import DomainError
from tests.bikes.test_spots import box

POLYGON = box(115.75, 33.87, 115.7502, 33.8701)


def _data(code: str = "R1", capacity: int = 10) -> SpotIn:
    return SpotIn(code=code, name="医院门口", polygon=POLYGON, capacity=capacity, category="医院")


def _decision_at(personas: Any, at: Any) -> None:
    from nuanxin.compliance.services import parked_bikes_evaluate
    from tests.compliance.factories import make_bike, parked

    bike = make_bike(personas.operator)
    parked_bikes_evaluate(observations=[parked(bike, 33.87, 115.75, at=at)], open_notices=False)


def test_a_backdated_edit_is_refused_and_the_past_replays_unchanged(personas: Any) -> None:
    now = timezone.now()
    v1 = spot_save(data=_data(), by=personas.admin, effective_from=now - timedelta(days=2))
    with pytest.raises(DomainError) as err:
        spot_save(
            data=_data(capacity=30), by=personas.admin, effective_from=now - timedelta(hours=36)
        )
    assert err.value.code == "spot_effective_past"
    assert "早于当前时间" in err.value.message
    [then] = spots_in_force(at=now - timedelta(days=1))
    assert then.version_id == v1.pk
    assert SpotVersion.objects.count() == 1
    with pytest.raises(DomainError) as err:
        spot_retire(spot=v1.spot, by=personas.admin, effective_from=now - timedelta(hours=1))
    assert err.value.code == "spot_effective_past"
    with pytest.raises(DomainError) as err:
        spots_import(
            rows=[_data(capacity=40)], by=personas.admin, effective_from=now - timedelta(hours=1)
        )
    assert err.value.code == "spot_import" and "早于当前时间" in err.value.message
    assert SpotVersion.objects.count() == 1


def test_a_date_within_the_tolerance_is_taken_as_now(personas: Any, settings: Any) -> None:
    spot_save(data=_data(), by=personas.admin)
    before = timezone.now()
    v2 = spot_save(
        data=_data(capacity=30), by=personas.admin, effective_from=before - timedelta(seconds=60)
    )
    assert v2.effective_from >= before
    settings.SPOT_PAST_TOLERANCE_SECONDS = 0
    with pytest.raises(DomainError):
        spot_save(
            data=_data(capacity=40),
            by=personas.admin,
            effective_from=timezone.now() - timedelta(seconds=60),
        )


def test_a_new_spot_may_be_dated_back_only_to_before_any_decision(personas: Any) -> None:
    now = timezone.now()
    _decision_at(personas, now - timedelta(hours=3))
    # Nothing was decided after two hours ago: the network of that time was never used.
    v = spot_save(data=_data("N1"), by=personas.admin, effective_from=now - timedelta(hours=2))
    assert v.effective_from == now - timedelta(hours=2)
    with pytest.raises(DomainError) as err:
        spot_save(data=_data("N2"), by=personas.admin, effective_from=now - timedelta(hours=4))
    assert err.value.code == "spot_effective_past"
    with pytest.raises(DomainError) as err:
        spots_import(rows=[_data("N3")], by=personas.admin, effective_from=now - timedelta(hours=4))
    assert "第 1 行" in err.value.message
    assert not Spot.objects.filter(code__in=["N2", "N3"]).exists()


def test_a_stored_event_after_the_date_also_blocks_a_backdated_new_spot(
    personas: Any, agency: Any
) -> None:
    bike = agency.register(1)[0]
    at = timezone.now() - timedelta(minutes=30)
    response = agency.post("/events", [agency.event(bike, timestamp=int(at.timestamp() * 1000))])
    assert response.status_code == 201
    with pytest.raises(DomainError):
        spot_save(data=_data("N4"), by=personas.admin, effective_from=at - timedelta(minutes=30))


def test_seed_and_tests_write_history_through_the_backdated_path(personas: Any) -> None:
    now = timezone.now()
    _decision_at(personas, now - timedelta(hours=1))
    v1 = spot_save_backdated(data=_data(), by=None, effective_from=now - timedelta(days=10))
    v2 = spot_save_backdated(
        data=_data(capacity=30), by=None, effective_from=now - timedelta(days=5)
    )
    assert [s.version_id for s in spots_in_force(at=now - timedelta(days=6))] == [v1.pk]
    assert [s.version_id for s in spots_in_force(at=now)] == [v2.pk]
    with pytest.raises(DomainError):  # still never before the current version
        spot_save_backdated(data=_data(), by=None, effective_from=now - timedelta(days=7))


def test_codes_that_differ_only_by_spaces_are_duplicates_in_one_import(personas: Any) -> None:
    with pytest.raises(DomainError) as err:
        spots_import(rows=[_data("A"), _data("A "), _data("\u3000A")], by=personas.admin)
    assert [r.split("：")[0] for r in err.value.details["rows"]] == ["第 2 行", "第 3 行"]
    assert "重复" in err.value.details["rows"][0]
    assert not Spot.objects.exists()
