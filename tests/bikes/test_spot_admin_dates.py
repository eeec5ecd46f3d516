"""The spot admin refuses a version it cannot write with a message on the form, never a 500,
and writes nothing (defect: save_model re-raised the service's DomainError)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.utils import timezone

from nuanxin.bikes.models import Spot, SpotVersion
from nuanxin.bikes.services_spots import SpotIn, spot_save
from tests.bikes.test_spots import box

POLYGON = box(115.75, 33.87, 115.7502, 33.8701)


def _form(**extra: Any) -> dict[str, str]:
    return {
        "code": "A1",
        "name": "人民路停放点",
        "address": "",
        "polygon": json.dumps(POLYGON),
        "capacity": "10",
        "category": "road",
        "status": "active",
        "beacon_ids": "",
        "change_note": "",
        "effective_from": "",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
        **extra,
    }


def _local(t: Any) -> str:
    return timezone.localtime(t).strftime("%Y-%m-%d %H:%M:%S")


def _spot(personas: Any, effective_from: Any = None) -> SpotVersion:
    return spot_save(
        data=SpotIn(code="A1", name="人民路停放点", polygon=POLYGON, capacity=10, category="road"),
        by=personas.admin,
        effective_from=effective_from,
    )


def _versions(spot: Spot) -> list[tuple[int, int, str]]:
    return list(spot.versions.order_by("version").values_list("version", "capacity", "status"))


def test_an_edit_dated_before_the_current_version_is_an_error_on_the_form(
    personas: Any, client_for: Any
) -> None:
    v1 = _spot(personas, effective_from=timezone.now() + timedelta(days=2))
    client = client_for(personas.admin)
    when = _local(timezone.now() + timedelta(days=1))
    response = client.post(
        f"/admin/bikes/spot/{v1.spot_id}/change/", _form(capacity="20", effective_from=when)
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "effective_from" in errors
    assert "第 1 版" in errors["effective_from"][0]
    assert _versions(v1.spot) == [(1, 10, "active")]


def test_an_immediate_edit_or_retirement_while_a_version_is_scheduled_is_an_error(
    personas: Any, client_for: Any
) -> None:
    v1 = _spot(personas)
    v2 = spot_save(
        data=SpotIn(code="A1", name="人民路停放点", polygon=POLYGON, capacity=30, category="road"),
        by=personas.admin,
        effective_from=timezone.now() + timedelta(days=3),
    )
    client = client_for(personas.admin)
    for change in ({"capacity": "20"}, {"status": "retired"}):
        response = client.post(f"/admin/bikes/spot/{v1.spot_id}/change/", _form(**change))
        assert response.status_code == 200
        message = response.context["adminform"].form.errors["effective_from"][0]
        assert "已排定" in message and "第 2 版" in message
    assert _versions(v2.spot) == [(1, 10, "active"), (2, 30, "active")]


def test_an_edit_dated_in_the_past_is_an_error_on_the_form(personas: Any, client_for: Any) -> None:
    v1 = _spot(personas)
    client = client_for(personas.admin)
    when = _local(timezone.now() - timedelta(hours=3))
    response = client.post(
        f"/admin/bikes/spot/{v1.spot_id}/change/", _form(capacity="20", effective_from=when)
    )
    assert response.status_code == 200
    assert "早于当前时间" in response.context["adminform"].form.errors["effective_from"][0]
    assert _versions(v1.spot) == [(1, 10, "active")]


def test_a_new_spot_dated_in_the_past_through_the_admin_is_an_error_once_bikes_reported(
    personas: Any, client_for: Any
) -> None:
    from nuanxin.compliance.services import parked_bikes_evaluate
    from tests.compliance.factories import make_bike, parked

    bike = make_bike(personas.operator)
    at = timezone.now() - timedelta(hours=1)
    parked_bikes_evaluate(observations=[parked(bike, 33.87, 115.75, at=at)], open_notices=False)
    client = client_for(personas.admin)
    when = _local(timezone.now() - timedelta(hours=3))
    response = client.post("/admin/bikes/spot/add/", _form(effective_from=when))
    assert response.status_code == 200
    assert "effective_from" in response.context["adminform"].form.errors
    assert not Spot.objects.exists()


def test_a_valid_dated_edit_still_saves(personas: Any, client_for: Any) -> None:
    v1 = _spot(personas)
    client = client_for(personas.admin)
    when = timezone.now() + timedelta(days=1)
    response = client.post(
        f"/admin/bikes/spot/{v1.spot_id}/change/",
        _form(capacity="20", effective_from=_local(when)),
    )
    assert response.status_code == 302
    assert _versions(v1.spot) == [(1, 10, "active"), (2, 20, "active")]


def test_a_rule_broken_after_the_form_was_checked_is_a_message_not_a_500(
    personas: Any, client_for: Any, monkeypatch: Any
) -> None:
    """Another edit between the form's check and the write: the service refuses, the
    admin's transaction rolls back, the page says why."""
    import nuanxin.bikes.admin as spot_admin

    v1 = _spot(personas)
    monkeypatch.setattr(spot_admin, "spot_change_check", lambda **kwargs: None)
    client = client_for(personas.admin)
    when = _local(timezone.now() - timedelta(hours=3))
    url = f"/admin/bikes/spot/{v1.spot_id}/change/"
    response = client.post(url, _form(capacity="20", effective_from=when))
    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url)
    assert "早于当前时间" in page.content.decode()
    assert _versions(v1.spot) == [(1, 10, "active")]
