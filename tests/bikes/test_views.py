"""The staff overview of the shared-bike operators (/staff/bikes/)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nuanxin.bikes.models import Bike, Operator
from nuanxin.bikes.selectors import operators_overview
from nuanxin.compliance.services import bikes_moved
from nuanxin.notices.models import Notice
from nuanxin.notices.penalties import penalties_issue_due
from nuanxin.opcredit.services import assessment_run
from tests.compliance.factories import make_bike, make_spot, moved
from tests.notices.test_loop import violate
from tests.staff_pages import NOT_STAFF, STAFF, opened_by, refuses, sends_to_login

URL = "/staff/bikes/"


@pytest.fixture(autouse=True)
def _fresh_index() -> Any:
    from nuanxin.compliance.index import index_clear

    index_clear()
    yield
    index_clear()


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    """Assessment reports (PDF) go to a temporary directory."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


def _set_state(bike: Bike, state: str) -> None:
    # The latest MDS state is kept by ingest; setting it here is setup data only.
    Bike.objects.filter(pk=bike.pk).update(vehicle_state=state)


@pytest.fixture
def situation(personas: Any) -> Any:
    """青桔: three bikes (two on the street), one notice open, one fixed, assessed twice.
    哈啰: one bike on a trip, one notice penalised, never assessed."""
    from types import SimpleNamespace

    make_spot("S1")
    qingju, hellobike = personas.operator, personas.other_operator
    q_open, q_fixed, q_removed = (make_bike(qingju) for _ in range(3))
    h_bike = make_bike(hellobike)
    for bike, state in [
        (q_open, "available"),
        (q_fixed, "non_operational"),
        (q_removed, "removed"),
        (h_bike, "on_trip"),
    ]:
        _set_state(bike, state)
    violate(h_bike)
    penalised = Notice.objects.get(bike=h_bike)
    assert penalties_issue_due(penalised.due_at) == 1  # before 青桔's notices are opened
    violate(q_open)
    violate(q_fixed)
    bikes_moved(observations=[moved(q_fixed, timezone.now() + dt.timedelta(minutes=1))])
    assessment_run(operator=qingju, period="2026-09")
    latest = assessment_run(operator=qingju, period="2026-10")
    qingju.refresh_from_db()
    return SimpleNamespace(qingju=qingju, hellobike=hellobike, latest=latest)


def cell(html: str, code: str, col: str) -> str:
    row = re.search(rf'<tr id="operator-{code}".*?</tr>', html, re.S)
    assert row, f"no row for {code}"
    found = re.search(rf'<td data-col="{col}"[^>]*>(.*?)</td>', row.group(0), re.S)
    assert found, f"no {col} cell for {code}"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


@pytest.mark.parametrize("persona", STAFF)
def test_every_city_staff_role_opens_the_overview(personas, client_for, persona):
    assert "运营企业总览" in opened_by(client_for, personas, persona, URL)


@pytest.mark.parametrize("persona", NOT_STAFF)
def test_merchants_operators_and_users_without_a_role_are_refused(personas, client_for, persona):
    assert refuses(client_for, personas, persona, URL)


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, db):
    assert sends_to_login(client, URL)


def test_the_overview_counts_each_operators_fleet_notices_and_latest_assessment(
    personas, client_for, situation
):
    html = client_for(personas.dispatcher).get(URL).content.decode()
    assert html.index('id="operator-hellobike"') < html.index('id="operator-qingju"')
    expected = {
        "qingju": {
            "quota": str(situation.qingju.quota),
            "registered": "3",
            "in-service": "2",
            "open": "1",
            "fixed": "1",
            "penalised": "0",
            "rate": "100.0%",
            "period": "2026-10",
            "score": str(situation.latest.score),
            "outcome": situation.latest.get_outcome_display(),
        },
        "hellobike": {
            "quota": "8000",
            "registered": "1",
            "in-service": "1",
            "open": "0",
            "fixed": "0",
            "penalised": "1",
            "rate": "0.0%",
            "period": "尚无考核",
        },
    }
    for code, cols in expected.items():
        for col, value in cols.items():
            assert cell(html, code, col) == value, (code, col)
    assert f'href="/assessments/{situation.latest.pk}/"' in html
    for href in ["/staff/bikes/notices/", "/assessments/", "/dashboard/", "/dashboard/fleet/"]:
        assert f'href="{href}"' in html
    assert '<div class="table-scroll">' in html


def test_fixes_and_penalties_older_than_thirty_days_drop_out_of_the_window(situation):
    later = timezone.now() + dt.timedelta(days=31)
    rows = {row.operator.code: row for row in operators_overview(now=later)}
    assert (rows["qingju"].open_notices, rows["qingju"].fixed_recent) == (1, 0)
    assert rows["hellobike"].penalised_recent == 0
    assert rows["hellobike"].rectification_rate is None


def test_an_operator_with_nothing_yet_shows_zeros_and_no_rate(personas, client_for):
    html = client_for(personas.chief).get(URL).content.decode()
    assert cell(html, "qingju", "registered") == "0"
    assert cell(html, "qingju", "open") == "0"
    assert cell(html, "qingju", "rate") == "—"


def test_the_overview_takes_the_same_number_of_queries_however_many_operators_there_are(
    personas, client_for, situation, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        operators_overview()
    client = client_for(personas.analyst)
    with CaptureQueriesContext(connection) as two_operators:
        assert client.get(URL).status_code == 200
    for i in range(4):
        operator = Operator.objects.create(code=f"extra{i}", name=f"企业{i}", quota=100)
        _set_state(make_bike(operator), "available")
        assessment_run(operator=operator, period="2026-10")
    with django_assert_max_num_queries(len(two_operators)):
        html = client.get(URL).content.decode()
    assert cell(html, "extra3", "in-service") == "1"
    assert cell(html, "extra3", "period") == "2026-10"


def test_the_overview_links_only_to_pages_the_viewer_can_open(personas, client_for):
    def links(user: Any) -> list[str]:
        html = client_for(user).get(URL).content.decode()
        found = re.search(r'<p id="bike-links">(.*?)</p>', html, re.S)
        assert found
        return re.findall(r'href="([^"]+)"', found.group(1))

    assert links(personas.dispatcher) == [
        "/staff/bikes/notices/",
        "/assessments/",
        "/dashboard/",
        "/dashboard/fleet/",
    ]
    assert links(personas.officer_a) == ["/staff/bikes/notices/", "/assessments/", "/dashboard/"]
    assert links(personas.reviewer) == ["/staff/bikes/notices/", "/assessments/"]
