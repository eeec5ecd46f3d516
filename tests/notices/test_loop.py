"""The warm-reminder loop: violation → notice → dispatch → fix or penalty."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from nuanxin.compliance.services import bikes_moved, parked_bikes_evaluate
from nuanxin.lib.coords import wgs84_to_gcj02
from nuanxin.notices.models import Notice, PenaltyDecision
from nuanxin.notices.penalties import penalties_issue_due
from nuanxin.notices.services import notice_open
from tests.compliance.factories import LAT0, LNG0, east_of_spot_edge, moved, parked

SH = dt.timezone(dt.timedelta(hours=8))


def violate(bike, at=None, dist_m=30.0):
    lat, lng = east_of_spot_edge(dist_m)
    return parked_bikes_evaluate(observations=[parked(bike, lat, lng, at=at, accuracy=3.0)])


def park_well(bike, at=None):
    return parked_bikes_evaluate(observations=[parked(bike, LAT0, LNG0, at=at, accuracy=3.0)])


def test_violation_opens_a_notice_with_deadline_dispatch_and_amap_link(city, settings):
    settings.FIX_WINDOW_SECONDS = None  # the policy data's 15 minutes
    before = timezone.now()
    violate(city.bike)
    notice = Notice.objects.get(bike=city.bike)
    assert notice.status == "open" and notice.kind == "violation"
    assert notice.number.startswith("NX")
    window = (notice.deadline - notice.issued_at).total_seconds()
    assert window == 900
    assert notice.issued_at - before < dt.timedelta(seconds=5)
    # Nearest free on-duty worker of the same operator, with a Manhattan estimate and ETA.
    assert notice.worker == city.worker
    assert notice.route_distance_m == pytest.approx(abs(200 - 35) + 100, abs=2)
    assert notice.eta_seconds == round(notice.route_distance_m / 1.2)
    # 高德 deep link in GCJ-02, to the bike; and to the nearest spot with room.
    query = parse_qs(urlparse(notice.nav_url).query)
    lng_s, lat_s, name = query["to"][0].split(",")
    g_lat, g_lng = wgs84_to_gcj02(notice.lat, notice.lng)
    assert (float(lat_s), float(lng_s)) == pytest.approx((g_lat, g_lng), abs=1e-6)
    assert name == city.bike.plate and query["coordinate"] == ["gaode"]
    assert notice.target_spot == city.spot.spot
    assert notice.target_nav_url.startswith("https://uri.amap.com/navigation?")


def test_second_violation_of_the_same_bike_does_not_open_another(city):
    violate(city.bike)
    violate(city.bike, dist_m=40)
    assert Notice.objects.filter(bike=city.bike).count() == 1


def test_busy_worker_is_skipped_and_full_spot_is_not_proposed(city, personas):
    from tests.compliance.factories import make_bike

    # Fill S1 (capacity 2): the nearest spot *with room* becomes S2.
    for _ in range(2):
        parked_bikes_evaluate(observations=[parked(make_bike(personas.operator), LAT0, LNG0)])
    violate(city.bike)
    second = make_bike(personas.operator)
    violate(second, dist_m=35)
    first = Notice.objects.get(bike=city.bike)
    other = Notice.objects.get(bike=second)
    assert first.worker == city.worker and other.worker == city.far_worker
    assert first.target_spot == city.spot2.spot


def test_uncertain_position_asks_for_confirmation_and_is_never_penalised(city):
    lat, lng = east_of_spot_edge(5.0)
    parked_bikes_evaluate(observations=[parked(city.bike, lat, lng, accuracy=10.0)])
    notice = Notice.objects.get(bike=city.bike)
    assert notice.kind == "confirm"
    assert penalties_issue_due(notice.due_at + dt.timedelta(hours=1)) == 0
    assert not PenaltyDecision.objects.exists()


def test_new_position_inside_a_spot_fixes_the_notice(city):
    violate(city.bike)
    later = timezone.now() + dt.timedelta(minutes=3)
    parked_bikes_evaluate(observations=[parked(city.bike, LAT0, LNG0, at=later)])
    notice = Notice.objects.get(bike=city.bike)
    assert notice.status == "fixed" and notice.fix_reason == "in_spot"
    assert notice.fixed_at == later


@pytest.mark.parametrize("reason", ["compliance_pick_up", "rebalance_pick_up", "trip_start"])
def test_pick_up_or_trip_fixes_the_notice(city, reason):
    violate(city.bike)
    bikes_moved(observations=[moved(city.bike, timezone.now() + dt.timedelta(minutes=1), reason)])
    notice = Notice.objects.get(bike=city.bike)
    assert (notice.status, notice.fix_reason) == ("fixed", reason)


def test_old_out_of_order_violation_does_not_open_a_notice(city):
    now = timezone.now()
    parked_bikes_evaluate(observations=[parked(city.bike, LAT0, LNG0, at=now)])
    lat, lng = east_of_spot_edge(30)
    parked_bikes_evaluate(
        observations=[parked(city.bike, lat, lng, at=now - dt.timedelta(minutes=10))]
    )
    assert not Notice.objects.exists()


# --- deadline races: a 15-minute window, deadline at 15:00 --------------------------------


def _notice_at(city, settings, skew: int, monkeypatch) -> Notice:
    settings.FIX_WINDOW_SECONDS = 900
    monkeypatch.setenv("NOTICE_SKEW_SECONDS", str(skew))
    monkeypatch.setenv("NOTICE_LATE_EVENT_SECONDS", "300")
    issued = dt.datetime(2026, 11, 28, 14, 45, tzinfo=SH)
    lat, lng = east_of_spot_edge(30.0)
    summary = parked_bikes_evaluate(
        observations=[parked(city.bike, lat, lng, at=issued - dt.timedelta(seconds=20))]
    )
    Notice.objects.filter(bike=city.bike).delete()  # reopen with a controlled clock
    notice = notice_open(check=summary.checks[0], now=issued)
    assert notice is not None
    assert notice.deadline == dt.datetime(2026, 11, 28, 15, 0, tzinfo=SH)
    return notice


@pytest.mark.parametrize(
    ("skew", "fix_at", "penalised"),
    [
        (0, (14, 59), False),  # fixed at 14:59 → no decision
        (0, (15, 1), True),  # fixed at 15:01 with no skew allowance → decision
        (120, (15, 1), False),  # policy data's 120 s clock-skew allowance covers 15:01
        (120, (15, 3), True),  # …but not 15:03
    ],
)
def test_deadline_race_judged_on_the_event_timestamp(
    city, settings, monkeypatch, skew, fix_at, penalised
):
    notice = _notice_at(city, settings, skew, monkeypatch)
    evidence_at = dt.datetime(2026, 11, 28, *fix_at, tzinfo=SH)
    # The evidence arrives late (at 15:04, after the deadline) but before due_at:
    assert notice.due_at == notice.deadline + dt.timedelta(seconds=skew + 300)
    bikes_moved(observations=[moved(city.bike, evidence_at)])
    issued = penalties_issue_due(notice.due_at)
    notice.refresh_from_db()
    assert (issued == 1) is penalised
    assert PenaltyDecision.objects.filter(notice=notice).exists() is penalised
    if penalised:
        assert notice.status == "penalised" and notice.late_fix_at == evidence_at
    else:
        assert notice.status == "fixed" and notice.fixed_at == evidence_at


def test_penalty_waits_for_the_grace_period(city, settings, monkeypatch):
    notice = _notice_at(city, settings, 120, monkeypatch)
    assert penalties_issue_due(notice.deadline + dt.timedelta(seconds=1)) == 0
    assert penalties_issue_due(notice.due_at) == 1


def test_exactly_one_decision_when_jobs_run_repeatedly(city):
    violate(city.bike)
    violate(city.other_bike)
    notices = list(Notice.objects.all())
    later = max(n.due_at for n in notices) + dt.timedelta(seconds=1)
    assert penalties_issue_due(later) == 2
    assert penalties_issue_due(later) == 0
    assert penalties_issue_due(later + dt.timedelta(hours=1)) == 0
    assert PenaltyDecision.objects.count() == 2
    # A fix arriving after the decision changes nothing.
    bikes_moved(observations=[moved(city.bike, later)])
    assert Notice.objects.get(bike=city.bike).status == "penalised"
