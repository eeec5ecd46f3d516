from __future__ import annotations

import io

import pytest
from PIL import Image

from nuanxin.audit.models import AuditEvent
from nuanxin.insight import h3agg
from nuanxin.insight.models import FleetSizeRun, RebalancePlan
from tests.insight.citydata import SPOT_A, SPOT_A2, make_bike, small_city

API = "/api/v1/insight"


@pytest.fixture
def city(personas):
    return small_city(personas)


def test_dispatcher_gets_parked_bikes_per_h3_cell(personas, client_for, city):
    r = client_for(personas.dispatcher).get(f"{API}/heatmap?layer=bikes&window=now&resolution=9")
    assert r.status_code == 200
    body = r.json()
    assert body["available"] and body["total"] == 11  # the riding bike is not parked
    assert sum(c["value"] for c in body["cells"]) == 11
    cell_a = h3agg.h3.latlng_to_cell(*SPOT_A, 9)
    assert {c["cell"]: c["value"] for c in body["cells"]}[cell_a] == 8


def test_operator_and_resolution_cuts(personas, client_for, city):
    c = client_for(personas.dispatcher)
    body = c.get(f"{API}/heatmap?operator=hellobike&resolution=8").json()
    assert body["total"] == 3 and body["operator"] == "hellobike"
    assert all(h3agg.h3.get_resolution(x["cell"]) == 8 for x in body["cells"])
    geo = c.get(f"{API}/heatmap?resolution=10&format=geojson").json()
    assert geo["type"] == "FeatureCollection"
    assert sum(f["properties"]["value"] for f in geo["features"]) == 11


def test_district_officer_sees_only_their_district(personas, client_for, city):
    c = client_for(personas.officer_b)
    body = c.get(f"{API}/heatmap").json()
    assert body["total"] == 3 and body["district"] == personas.district_b.pk
    r = c.get(f"{API}/heatmap?district={personas.district_a.pk}")
    assert r.status_code == 400 and r.json()["code"] == "district_out_of_scope"


@pytest.mark.parametrize(
    "query,code",
    [
        ("resolution=7", "bad_resolution"),
        ("resolution=11", "bad_resolution"),
        ("resolution=x", "bad_resolution"),
        ("window=week", "bad_window"),
        ("window=hour&hour=24", "bad_hour"),
        ("window=day&date=2026-13-01", "bad_date"),
        ("operator=nobody", "unknown_operator"),
        ("layer=cats", "bad_layer"),
        ("district=999999", "unknown_district"),
    ],
)
def test_bad_input_gets_a_specific_error(personas, client_for, city, query, code):
    r = client_for(personas.analyst).get(f"{API}/heatmap?{query}")
    assert r.status_code == 400
    assert r.json()["code"] == code and r.json()["detail"]


def test_empty_district_is_refused(personas, client_for, city):
    from nuanxin.orgs.models import District

    flat = District.objects.create(
        bureau=personas.bureau,
        code="EMPTY",
        name="空辖区",
        boundary={"type": "Polygon", "coordinates": [[[115.7, 33.8]] * 4]},
    )
    r = client_for(personas.chief).get(f"{API}/heatmap?district={flat.pk}")
    assert r.status_code == 400 and r.json()["code"] == "empty_district"


@pytest.mark.parametrize("who", ["outsider", "merchant", "operator_admin", "reviewer"])
def test_other_roles_are_refused(personas, client_for, who):
    for path in ("heatmap", "heatmap.png", "spots/supply", "boundaries"):
        assert client_for(getattr(personas, who)).get(f"{API}/{path}").status_code == 403


def test_anonymous_is_unauthorised(client, db):
    assert client.get(f"{API}/heatmap").status_code == 401


def test_time_windows_read_events_and_trips(personas, client_for, city):
    c = client_for(personas.dispatcher)
    for q in (
        "window=day",
        "window=hour&hour=8&days=3",
        "layer=trip_origins&window=day",
        "layer=trip_destinations",
    ):
        body = c.get(f"{API}/heatmap?{q}").json()
        assert body["available"] is True and body["total"] == 0  # no events/trips recorded


def test_absent_sources_are_reported_not_faked(personas, client_for, city):
    from nuanxin.insight.sources import model_or_none

    body = client_for(personas.dispatcher).get(f"{API}/heatmap?layer=notices_overdue").json()
    if model_or_none("notices.Notice") is None:
        assert body["available"] is False and "notices.Notice" in body["reason"]
        assert body["cells"] == []
    else:
        assert body["available"] is True


def test_spot_supply_shows_oversupply_and_shortage(personas, client_for, city):
    body = client_for(personas.dispatcher).get(f"{API}/spots/supply").json()
    by_code = {s["code"]: s for s in body["spots"]}
    assert by_code["A1"]["parked"] == 8 and by_code["A1"]["status"] == "oversupply"
    assert by_code["A2"]["parked"] == 0 and by_code["A2"]["status"] == "shortage"
    assert by_code["B1"]["parked"] == 3 and by_code["B1"]["status"] == "ok"
    own = client_for(personas.officer_a).get(f"{API}/spots/supply").json()
    assert {s["code"] for s in own["spots"]} == {"A1", "A2"}


def test_png_export_is_a_real_image(personas, client_for, city):
    r = client_for(personas.dispatcher).get(f"{API}/heatmap.png?resolution=9")
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    img = Image.open(io.BytesIO(r.content)).convert("RGB")
    assert img.width > 300
    # Hexagons are drawn in YlOrRd: some strongly red/orange pixels must be present.
    import numpy as np

    px = np.asarray(img)
    reds = int(((px[..., 0] > 180) & (px[..., 2] < 120)).sum())
    assert reds > 50


def test_drill_down_lists_the_bikes_of_a_cell(personas, client_for, city):
    cell = h3agg.h3.latlng_to_cell(*SPOT_A, 9)
    body = client_for(personas.dispatcher).get(f"{API}/cells/{cell}/items?layer=bikes").json()
    assert body["count"] == 8 and len(body["items"]) == 8
    assert all(i["operator"] == "青桔单车" for i in body["items"])
    r = client_for(personas.dispatcher).get(f"{API}/cells/nonsense/items")
    assert r.status_code == 400 and r.json()["code"] == "bad_cell"
    # District B's officer cannot drill into district A's cell (scoped to B: nothing there).
    other = client_for(personas.officer_b).get(f"{API}/cells/{cell}/items").json()
    assert other["count"] == 0


def test_operator_admin_gets_guidance_for_its_own_operator_only(personas, client_for, city):
    c = client_for(personas.operator_admin)
    r = c.post(
        f"{API}/rebalance/plans",
        {"operator": "qingju", "trucks": 1, "truck_capacity": 3, "window_hours": 1},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    plan = r.json()
    assert plan["demand_source"] == "spot_capacity"
    assert plan["total_bikes"] == 3  # one truck, three bikes, one round in a one-hour window
    assert plan["moves"][0]["from_cell"] == h3agg.h3.latlng_to_cell(*SPOT_A, 9)
    assert AuditEvent.objects.filter(action="rebalance_plan.create").count() == 1
    r = c.post(f"{API}/rebalance/plans", {"operator": "hellobike"}, content_type="application/json")
    assert r.status_code == 404
    other = client_for(personas.other_operator_admin).get(f"{API}/rebalance/plans").json()
    assert other["plans"] == []
    assert client_for(personas.merchant).get(f"{API}/rebalance/plans").status_code == 403


def test_acting_on_guidance_is_measured_from_later_positions(personas, client_for, city):
    c = client_for(personas.dispatcher)
    plan = c.post(
        f"{API}/rebalance/plans",
        {"operator": "qingju", "trucks": 1, "truck_capacity": 3, "window_hours": 1},
        content_type="application/json",
    ).json()
    move = plan["moves"][0]
    target_cell = move["to_cell"]
    # The operator moves 3 bikes from the oversupplied spot to the target cell.
    lat, lng = h3agg.cell_center(target_cell)
    from nuanxin.bikes.models import Bike

    for bike in Bike.objects.filter(operator=personas.operator, vehicle_state="available")[:3]:
        bike.lat, bike.lng = lat, lng
        bike.save(update_fields=["lat", "lng"])
    r = c.post(f"{API}/rebalance/plans/{plan['id']}/evaluate")
    assert r.status_code == 200
    assert r.json()["acted_bikes"] == 3 and r.json()["moves"][0]["outcome"] == "acted"
    assert (
        client_for(personas.other_operator_admin)
        .post(f"{API}/rebalance/plans/{plan['id']}/evaluate")
        .status_code
        == 404
    )


def _run(met=True):
    return FleetSizeRun.objects.create(
        target=0.9,
        met=met,
        fleet=100,
        achieved=0.92 if met else 0.5,
        demand_source="gravity",
        split_basis="equal",
        split={"qingju": 50, "hellobike": 50},
    )


def test_chief_applies_a_fleet_run_to_the_quotas(personas, client_for):
    run = _run()
    assert (
        client_for(personas.dispatcher).post(f"{API}/fleet-size/runs/{run.pk}/apply").status_code
        == 403
    )
    r = client_for(personas.chief).post(f"{API}/fleet-size/runs/{run.pk}/apply")
    assert r.status_code == 200
    personas.operator.refresh_from_db()
    assert personas.operator.quota == 50
    assert AuditEvent.objects.filter(action="fleet_run.apply_quota").count() == 1
    assert AuditEvent.objects.filter(action="operator.quota_set").count() == 2
    again = client_for(personas.chief).post(f"{API}/fleet-size/runs/{run.pk}/apply")
    assert again.status_code == 409


def test_a_run_that_missed_its_target_cannot_set_quotas(personas, client_for):
    run = _run(met=False)
    r = client_for(personas.admin).post(f"{API}/fleet-size/runs/{run.pk}/apply")
    assert r.status_code == 400 and r.json()["code"] == "target_not_met"
    personas.operator.refresh_from_db()
    assert personas.operator.quota == 8000  # nothing half-written


def test_guidance_without_bikes_is_empty_not_invented(personas, client_for):
    make_bike(personas.operator, *SPOT_A2)
    r = client_for(personas.dispatcher).post(
        f"{API}/rebalance/plans", {"operator": "qingju"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["moves"] == []
    assert RebalancePlan.objects.count() == 1


def test_operator_systems_pull_their_own_guidance_with_a_token(personas, client, city):
    from nuanxin.accounts.services import api_token_issue
    from nuanxin.insight.services import rebalance_plan_create

    mine = rebalance_plan_create(operator=personas.operator, by=personas.dispatcher)
    rebalance_plan_create(operator=personas.other_operator, by=personas.dispatcher)
    _, raw = api_token_issue(name="qingju", by=personas.admin, operator=personas.operator)
    r = client.get(f"{API}/operator/rebalance/plans", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 200
    assert [p["id"] for p in r.json()["plans"]] == [mine.pk]
    assert client.get(f"{API}/operator/rebalance/plans").status_code == 401


def test_worker_job_follows_up_plans_whose_window_ended(personas, city):
    import datetime as dt

    from django.utils import timezone

    from nuanxin.core.jobs import registered_jobs
    from nuanxin.insight.jobs import rebalance_followup
    from nuanxin.insight.services import rebalance_plan_create

    assert "insight.rebalance_followup" in {j.name for j in registered_jobs()}
    plan = rebalance_plan_create(
        operator=personas.operator, by=None, trucks=1, truck_capacity=3, window_hours=1
    )
    now = timezone.now()
    assert rebalance_followup(now) == 0  # window still running
    later = now + dt.timedelta(hours=1, minutes=1)
    assert rebalance_followup(later) == 1
    plan.refresh_from_db()
    assert plan.evaluated_at == later and plan.acted_bikes == 0  # nobody moved a bike
    assert set(plan.moves.values_list("outcome", flat=True)) == {"ignored"}
    assert rebalance_followup(later) == 0  # never twice


def test_a_day_before_the_raw_records_are_kept_is_refused_for_their_layers(
    personas, client_for, city
):
    """Past windows of these layers read MDS events and trips, pruned after 180 days: an
    older day would draw an empty city. Decisions and notices are kept, so their layers
    answer."""
    import datetime as dt

    from django.utils import timezone

    c = client_for(personas.analyst)
    today = timezone.localdate()
    old = (today - dt.timedelta(days=200)).isoformat()
    for layer in ("bikes", "trip_origins", "trip_destinations"):
        r = c.get(f"{API}/heatmap?layer={layer}&window=day&date={old}")
        assert r.status_code == 400 and r.json()["code"] == "window_past_retention"
        assert "只保存 180 天" in r.json()["detail"]
    assert c.get(f"{API}/heatmap?layer=violations&window=day&date={old}").status_code == 200
    last_kept = (today - dt.timedelta(days=179)).isoformat()
    assert c.get(f"{API}/heatmap?layer=bikes&window=day&date={last_kept}").status_code == 200
    longest = c.get(f"{API}/heatmap?layer=trip_origins&window=hour&hour=8&days=60")
    assert longest.status_code == 200
