"""The published MDS Policy follows the spots in force: with no spot left it says so, and a
version dated in the future is published when it takes effect (job `bikes.policy_refresh`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from nuanxin.bikes.models import SpotVersion
from nuanxin.bikes.services_spots import SpotIn, spot_retire, spot_save
from nuanxin.core.jobs import registered_jobs
from nuanxin.mds.models import Policy
from nuanxin.mds.policy import city_geography_id, ms, policy_publish
from tests.bikes.test_spots import box
from tests.mds.schemas import assert_valid, gbfs_validator, mds_response_validator


def _spot(code: str, i: int, by: Any, effective_from: Any = None) -> SpotVersion:
    return spot_save(
        data=SpotIn(
            code=code,
            name=f"{code} 停放点",
            polygon=box(115.75 + i * 0.001, 33.87, 115.7505 + i * 0.001, 33.8702),
            capacity=10,
            category="道路",
        ),
        by=by,
        effective_from=effective_from,
    )


def _policies(at: Any = None) -> list[dict]:
    query = "" if at is None else f"?start_date={ms(at)}"
    body = Client().get(f"/mds/policy/policies{query}").json()
    assert_valid(mds_response_validator("policy", "/policies", "get", 200), body)
    return body["policies"]


def _stops(doc: dict) -> set[str]:
    """The geographies where parking is allowed: every rule's but the city's."""
    city = {r["geographies"][0] for r in doc["rules"] if r.get("maximum") == 0}
    return {g for r in doc["rules"] if r.get("maximum") != 0 for g in r["geographies"]} - city


def _job() -> Any:
    return {job.name: job for job in registered_jobs()}["bikes.policy_refresh"].func


def test_after_every_spot_is_retired_the_policy_allows_no_stop(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        spots = [_spot(f"S{i}", i, personas.admin) for i in range(2)]
    [first] = _policies()
    assert _stops(first) == {str(v.geography_id) for v in spots}
    with django_capture_on_commit_callbacks(execute=True):
        for v in spots:
            spot_retire(spot=v.spot, by=personas.admin)
    [current] = _policies()
    assert current["policy_id"] != first["policy_id"]
    assert current["prev_policies"] == [first["policy_id"]]
    assert _stops(current) == set()
    [rule] = current["rules"]
    assert rule["geographies"] == [str(city_geography_id(personas.bureau))]
    assert rule["maximum"] == 0
    assert "没有" in current["description"]
    old = Policy.objects.get(policy_id=first["policy_id"])
    assert old.end_date is not None
    detail = Client().get(f"/mds/policy/policies/{first['policy_id']}").json()
    assert_valid(mds_response_validator("policy", "/policies/{policy_id}", "get", 200), detail)
    assert detail["policies"][0]["end_date"] == ms(old.end_date)
    stations = Client().get("/gbfs/station_information.json").json()
    assert_valid(gbfs_validator("station_information"), stations)
    assert stations["data"]["stations"] == []
    assert policy_publish() is None  # still none: nothing new to say


def test_a_policy_with_no_stop_is_published_even_before_the_first_spot(personas: Any) -> None:
    policy = policy_publish()
    assert policy is not None
    assert _stops(policy.document) == set()
    assert_valid(
        mds_response_validator("policy", "/policies/{policy_id}", "get", 200),
        Client().get(f"/mds/policy/policies/{policy.policy_id}").json(),
    )


def test_a_scheduled_version_is_published_when_it_takes_effect(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    run = _job()
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        a = _spot("A", 0, personas.admin)
        b = _spot("B", 1, personas.admin, effective_from=now + timedelta(minutes=10))
        retire_a = spot_retire(
            spot=a.spot, by=personas.admin, effective_from=now + timedelta(minutes=20)
        )
    [first] = _policies()
    assert _stops(first) == {str(a.geography_id)}
    assert run(now + timedelta(minutes=5)) == 0  # nothing took effect yet

    later = now + timedelta(minutes=10, seconds=1)
    assert run(later) == 1
    [second] = _policies(at=later + timedelta(seconds=1))
    assert _stops(second) == {str(a.geography_id), str(b.geography_id)}
    assert second["prev_policies"] == [first["policy_id"]]
    assert second["start_date"] == ms(later)
    assert run(later + timedelta(seconds=5)) == 0

    latest = now + timedelta(minutes=21)
    assert run(latest) == 1
    [third] = _policies(at=latest + timedelta(seconds=1))
    assert _stops(third) == {str(b.geography_id)}
    assert retire_a.status == "retired"
    assert Policy.objects.count() == 3


def test_the_job_is_cheap_when_nothing_changed(
    personas: Any, django_assert_max_num_queries: Any
) -> None:
    run = _job()
    _spot("A", 0, personas.admin)
    policy_publish()
    run(timezone.now())
    with django_assert_max_num_queries(3):
        assert run(timezone.now()) == 0


def test_a_change_that_leaves_the_stops_as_they_were_publishes_nothing(
    personas: Any, django_capture_on_commit_callbacks: Any, django_assert_max_num_queries: Any
) -> None:
    run = _job()
    now = timezone.now()

    def suspended(capacity: int, effective_from: Any = None) -> SpotVersion:
        return spot_save(
            data=SpotIn(
                code="A",
                name="A 停放点",
                polygon=box(115.75, 33.87, 115.7505, 33.8702),
                capacity=capacity,
                category="道路",
                status=SpotVersion.Status.SUSPENDED,
            ),
            by=personas.admin,
            effective_from=effective_from,
        )

    with django_capture_on_commit_callbacks(execute=True):
        suspended(10)
        _spot("B", 1, personas.admin)
        suspended(20, effective_from=now + timedelta(minutes=1))  # still no stop
    count = Policy.objects.count()
    assert run(now + timedelta(minutes=2)) == 0
    with django_assert_max_num_queries(3):  # looked at once, not again on every run
        assert run(now + timedelta(minutes=3)) == 0
    assert Policy.objects.count() == count
