from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from nuanxin.insight.sources import model_or_none
from tests.insight.citydata import SPOT_A, make_notice, small_city

SUMMARY = "/api/v1/dashboard/summary"


@pytest.fixture
def city(personas):
    return small_city(personas)


@pytest.mark.parametrize("who", ["dispatcher", "analyst", "chief", "admin", "officer_a"])
def test_city_staff_open_the_screen(personas, client_for, who):
    r = client_for(getattr(personas, who)).get("/dashboard/")
    assert r.status_code == 200
    assert "城市运行管理服务平台" in r.content.decode()


@pytest.mark.parametrize("who", ["outsider", "merchant", "operator_admin", "reviewer"])
def test_other_roles_are_refused(personas, client_for, who):
    c = client_for(getattr(personas, who))
    assert c.get("/dashboard/").status_code == 403
    assert c.get(SUMMARY).status_code == 403


def test_anonymous_goes_to_login(client, db):
    r = client.get("/dashboard/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_summary_counts_bikes_by_operator_and_state(personas, client_for, city):
    body = client_for(personas.dispatcher).get(SUMMARY).json()
    bikes = body["panels"]["bikes"]
    assert bikes["available"] and bikes["total"] == 12
    by_state = {
        s["state"]: dict(zip(bikes["operators"], s["counts"], strict=True)) for s in bikes["series"]
    }
    assert by_state["available"] == {"青桔单车": 8, "哈啰单车": 3}
    assert by_state["on_trip"]["青桔单车"] == 1
    assert body["panels"]["trends"]["days"][-1] == timezone.localdate().isoformat()
    assert len(body["panels"]["trends"]["days"]) == 30


def test_district_officer_sees_only_their_district(personas, client_for, city):
    from nuanxin.cases.models import Case

    c = client_for(personas.officer_b)
    body = c.get(SUMMARY).json()
    assert body["district"]["id"] == personas.district_b.pk
    bikes = body["panels"]["bikes"]
    assert bikes["total"] == 4  # 3 parked + 1 riding in district B; district A's 8 are hidden
    assert c.get(f"{SUMMARY}?district={personas.district_a.pk}").status_code == 400
    assert Case.objects.count() == 0 or body["panels"]["cases"]["available"]


def test_absent_sources_say_so(personas, client_for, city):
    body = client_for(personas.dispatcher).get(SUMMARY).json()
    for name, panel in body["panels"].items():
        if panel.get("available") is False:
            assert panel["reason"], name
    today = body["panels"]["enforcement_today"]
    for key in ("education", "warning"):
        if model_or_none(f"violations.{key.title()}") is None:
            assert today[key]["available"] is False and "violations" in today[key]["reason"]


def test_complaints_and_cases_by_stage(personas, client_for, city):
    complaint = model_or_none("feedback.Complaint")
    if complaint is None:
        pytest.skip("feedback tables not migrated in this tree")
    body = client_for(personas.chief).get(SUMMARY).json()
    assert body["panels"]["complaints"]["available"] is True
    assert body["panels"]["cases"]["available"] is True


def test_notices_panel_rates_and_median(personas, client_for, city):
    notice = model_or_none("notices.Notice")
    if notice is None:
        pytest.skip("notices tables not migrated in this tree")
    from nuanxin.bikes.models import Bike

    now = timezone.now()
    b1, b2, b3 = Bike.objects.filter(operator=personas.operator, vehicle_state="available")[:3]
    at = {"lat": SPOT_A[0], "lng": SPOT_A[1]}
    make_notice(personas.operator, b1, number="N1", **at)
    make_notice(
        personas.operator,
        b2,
        number="N2",
        deadline=now - dt.timedelta(minutes=10),
        issued_at=now - dt.timedelta(minutes=30),
        **at,
    )
    make_notice(
        personas.operator,
        b3,
        number="N3",
        status="fixed",
        deadline=now,
        issued_at=now - dt.timedelta(minutes=20),
        fixed_at=now - dt.timedelta(minutes=8),
        **at,
    )
    p = client_for(personas.dispatcher).get(SUMMARY).json()["panels"]["notices"]
    assert (p["open"], p["overdue"], p["fixed"]) == (2, 1, 1)
    assert p["rectification_rate"] == 0.5 and p["median_fix_minutes"] == 12.0
    # District B sees none of district A's notices.
    q = client_for(personas.officer_b).get(SUMMARY).json()["panels"]["notices"]
    assert (q["open"], q["fixed"]) == (0, 0)


def test_rebalance_portal_shows_only_the_operators_own(personas, client_for, city):
    c = client_for(personas.operator_admin)
    page = c.get("/dashboard/rebalance/").content.decode()
    assert "青桔单车" in page and "哈啰单车" not in page
    r = c.post(
        "/dashboard/rebalance/", {"operator": personas.other_operator.pk, "action": "create"}
    )
    assert r.status_code == 404
    r = c.post(
        "/dashboard/rebalance/",
        {
            "operator": personas.operator.pk,
            "action": "create",
            "trucks": 1,
            "truck_capacity": 3,
            "window_hours": 1,
        },
    )
    assert r.status_code == 302
    page = c.get("/dashboard/rebalance/").content.decode()
    assert "建议调度 3 辆" in page
    assert (
        client_for(personas.other_operator_admin)
        .get("/dashboard/rebalance/")
        .content.decode()
        .count("建议调度")
        == 0
    )
    assert client_for(personas.merchant).get("/dashboard/rebalance/").status_code == 403


def test_notice_drill_down_and_detail_respect_the_district(personas, client_for, city):
    from nuanxin.bikes.models import Bike
    from nuanxin.insight import h3agg

    bike = Bike.objects.filter(operator=personas.operator, vehicle_state="available").first()
    notice = make_notice(personas.operator, bike, number="N9", lat=SPOT_A[0], lng=SPOT_A[1])
    cell = h3agg.h3.latlng_to_cell(*SPOT_A, 9)
    heat = client_for(personas.dispatcher).get("/api/v1/insight/heatmap?layer=notices_open").json()
    assert heat["available"] and heat["total"] == 1 and heat["cells"][0]["cell"] == cell
    items = (
        client_for(personas.officer_a)
        .get(f"/api/v1/insight/cells/{cell}/items?layer=notices_open")
        .json()["items"]
    )
    assert [i["id"] for i in items] == [notice.pk]
    page = client_for(personas.officer_a).get(items[0]["url"])
    assert page.status_code == 200 and "N9" in page.content.decode()
    assert client_for(personas.officer_b).get(f"/dashboard/notices/{notice.pk}/").status_code == 404
    assert client_for(personas.merchant).get(f"/dashboard/notices/{notice.pk}/").status_code == 403


def test_fleet_runs_page_lets_only_chiefs_apply(personas, client_for):
    from nuanxin.insight.models import FleetSizeRun

    run = FleetSizeRun.objects.create(
        target=0.9,
        met=True,
        fleet=300,
        achieved=0.91,
        demand_source="gravity",
        split_basis="equal",
        split={"qingju": 150, "hellobike": 150},
    )
    page = client_for(personas.analyst).get("/dashboard/fleet/").content.decode()
    assert "300" in page and "应用于配额" not in page
    assert (
        client_for(personas.analyst).post("/dashboard/fleet/", {"run": run.pk}).status_code == 403
    )
    assert client_for(personas.officer_a).get("/dashboard/fleet/").status_code == 403
    c = client_for(personas.chief)
    assert "应用于配额" in c.get("/dashboard/fleet/").content.decode()
    assert c.post("/dashboard/fleet/", {"run": run.pk}).status_code == 302
    personas.other_operator.refresh_from_db()
    assert personas.other_operator.quota == 150
