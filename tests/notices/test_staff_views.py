"""The staff list of warm reminders (/staff/bikes/notices/)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from nuanxin.compliance.services import bikes_moved, parked_bikes_evaluate
from nuanxin.notices.models import Notice
from nuanxin.notices.services import notice_open
from tests.compliance.factories import east_of_spot_edge, make_bike, moved, parked
from tests.notices.test_loop import violate
from tests.staff_pages import NOT_STAFF, STAFF, opened_by, refuses, sends_to_login

URL = "/staff/bikes/notices/"


def listed(response: Any) -> list[str]:
    """The notice numbers in the table, in order."""
    assert response.status_code == 200
    return re.findall(r'<tr data-number="([^"]+)"', response.content.decode())


@pytest.fixture
def notices(city: Any) -> Any:
    """青桔: one notice open, one fixed (the older). 哈啰: one open."""
    from types import SimpleNamespace

    fixed_bike = make_bike(city.bike.operator)
    violate(fixed_bike)
    bikes_moved(observations=[moved(fixed_bike, timezone.now() + dt.timedelta(minutes=1))])
    violate(city.bike)
    violate(city.other_bike)
    return SimpleNamespace(
        fixed=Notice.objects.get(bike=fixed_bike),
        open=Notice.objects.get(bike=city.bike),
        other=Notice.objects.get(bike=city.other_bike),
    )


@pytest.mark.parametrize("persona", STAFF)
def test_every_city_staff_role_opens_the_notice_list(personas, client_for, persona):
    assert "暖心提醒列表" in opened_by(client_for, personas, persona, URL)


@pytest.mark.parametrize("persona", NOT_STAFF)
def test_merchants_operators_and_users_without_a_role_are_refused(personas, client_for, persona):
    assert refuses(client_for, personas, persona, URL)


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, db):
    assert sends_to_login(client, URL)


def test_all_notices_are_listed_newest_first_with_a_link_to_each_notice(
    personas, client_for, notices
):
    response = client_for(personas.chief).get(URL)
    assert listed(response) == [notices.other.number, notices.open.number, notices.fixed.number]
    html = response.content.decode()
    assert f'href="/staff/bikes/notices/{notices.open.number}/"' in html
    assert 'class="nx-status nx-status-fixed"' in html
    assert notices.open.bike.plate in html and "青桔单车" in html and "哈啰单车" in html
    assert '<div class="table-scroll">' in html


def test_the_status_filter_lists_only_that_status(personas, client_for, notices):
    client = client_for(personas.dispatcher)
    assert listed(client.get(URL, {"status": "fixed"})) == [notices.fixed.number]
    assert listed(client.get(URL, {"status": "penalised"})) == []


def test_an_unknown_status_is_ignored_with_a_message_and_the_full_list(
    personas, client_for, notices
):
    response = client_for(personas.analyst).get(URL, {"status": "<b>bogus</b>"})
    assert len(listed(response)) == 3
    html = response.content.decode()
    assert "未知的状态" in html and "&lt;b&gt;bogus&lt;/b&gt;" in html


def test_the_operator_filter_takes_an_operator_code(personas, client_for, notices):
    client = client_for(personas.officer_a)
    assert listed(client.get(URL, {"operator": "hellobike"})) == [notices.other.number]
    assert len(listed(client.get(URL, {"operator": "qingju"}))) == 2
    response = client.get(URL, {"operator": "nosuch"})
    assert len(listed(response)) == 3 and "未知的运营企业代码" in response.content.decode()


def test_the_search_finds_a_notice_by_number_or_plate_whole_or_by_its_beginning(
    personas, client_for, notices
):
    client = client_for(personas.reviewer)
    assert listed(client.get(URL, {"q": notices.open.number})) == [notices.open.number]
    assert listed(client.get(URL, {"q": notices.fixed.number.lower()})) == [notices.fixed.number]
    assert listed(client.get(URL, {"q": notices.other.bike.plate})) == [notices.other.number]
    prefix = notices.other.bike.plate[:2]  # 亳H: every 哈啰 plate
    assert listed(client.get(URL, {"q": prefix})) == [notices.other.number]
    assert listed(client.get(URL, {"q": "XX"})) == []


def test_overdue_lists_only_open_notices_past_their_deadline(personas, client_for, notices):
    bike = make_bike(notices.open.operator)
    summary = parked_bikes_evaluate(
        observations=[parked(bike, *east_of_spot_edge(30), accuracy=3.0)], open_notices=False
    )
    late = notice_open(check=summary.checks[0], now=timezone.now() - dt.timedelta(hours=2))
    assert late is not None and late.deadline < timezone.now()
    response = client_for(personas.admin).get(URL, {"overdue": "1"})
    assert listed(response) == [late.number]
    assert "已超期" in response.content.decode()


def test_counts_per_status_follow_the_other_filters(personas, client_for, notices):
    html = client_for(personas.chief).get(URL, {"operator": "qingju"}).content.decode()
    counts = dict(re.findall(r'data-status="(\w+)".*?<span class="count">(\d+)</span>', html, re.S))
    assert counts == {"open": "1", "fixed": "1", "penalised": "0", "closed": "0"}
    assert 'href="?operator=qingju&amp;status=fixed"' in html


def test_the_list_pages_by_fifty_and_page_links_keep_the_filters(
    personas, client_for, city, django_assert_max_num_queries
):
    bikes = [make_bike(city.bike.operator) for _ in range(51)]
    lat, lng = east_of_spot_edge(30)
    parked_bikes_evaluate(observations=[parked(b, lat, lng, accuracy=3.0) for b in bikes])
    client = client_for(personas.dispatcher)
    with django_assert_max_num_queries(12):
        first = client.get(URL, {"operator": "qingju", "status": "open"})
    assert len(listed(first)) == 50
    html = first.content.decode()
    assert 'href="?operator=qingju&amp;status=open&amp;page=2"' in html
    second = client.get(URL, {"operator": "qingju", "status": "open", "page": "2"})
    assert len(listed(second)) == 1
    assert set(listed(first)).isdisjoint(listed(second))
    assert len(listed(client.get(URL, {"page": "no-such-page"}))) == 50


@pytest.mark.parametrize("persona", STAFF)
def test_every_city_staff_role_opens_a_notice_with_its_explanation(
    personas, client_for, notices, persona
):
    response = client_for(getattr(personas, persona)).get(f"{URL}{notices.open.number}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert notices.open.bike.plate in html and "青桔单车" in html
    assert 'id="explanation"' in html and "S1" in html
    assert "等待运营企业整改" in html
    assert 'id="report-fix"' not in html  # the fix report is the operator's, not staff's


def test_a_fixed_notice_shows_how_it_was_fixed_to_staff(personas, client_for, notices):
    html = client_for(personas.dispatcher).get(f"{URL}{notices.fixed.number}/").content.decode()
    assert 'id="outcome"' in html and notices.fixed.fix_reason_label() in html


@pytest.mark.parametrize("persona", NOT_STAFF)
def test_a_notice_page_for_staff_refuses_everyone_else(personas, client_for, notices, persona):
    response = client_for(getattr(personas, persona)).get(f"{URL}{notices.open.number}/")
    assert response.status_code == 403


def test_an_unknown_notice_number_is_not_found(personas, client_for, notices):
    assert client_for(personas.chief).get(f"{URL}NX000/").status_code == 404


def test_a_maintenance_worker_sees_their_own_assignments_first(personas, client_for):
    import datetime as dt

    from django.utils import timezone

    from tests.compliance.factories import make_bike, make_spot, make_worker

    make_spot("S1")
    me = make_worker(personas.operator, "worker_me", 33.87, 115.75)
    bikes = [make_bike(personas.operator) for _ in range(3)]
    for bike in bikes:
        violate(bike)
    notices = list(Notice.objects.filter(bike__in=bikes).order_by("deadline"))
    latest = notices[-1]
    Notice.objects.filter(pk__in=[n.pk for n in notices]).update(worker=None)  # setup only
    Notice.objects.filter(pk=latest.pk).update(
        worker=me, deadline=timezone.now() + dt.timedelta(hours=1)
    )
    html = client_for(me.user).get("/operator/").content.decode()
    rows = re.findall(r'<tr data-number="([^"]+)"', html.split('id="recent-notices"')[0])
    assert rows[0] == latest.number and len(rows) == 3


def test_the_portal_links_only_to_pages_its_reader_can_open(personas, client_for):
    from tests.compliance.factories import make_worker

    def links(user: Any) -> list[str]:
        html = client_for(user).get("/operator/").content.decode()
        found = re.search(r'<p class="nx-actions" id="portal-links">(.*?)</p>', html, re.S)
        assert found
        return re.findall(r'href="([^"]+)"', found.group(1))

    assert links(personas.operator_admin) == [
        "/assessments/",
        "/dashboard/rebalance/",
        "/operator/webhook/",
        "/api/v1/docs",
    ]
    worker = make_worker(personas.operator, "worker_links", 33.87, 115.75)
    assert links(worker.user) == ["/assessments/", "/api/v1/docs"]
