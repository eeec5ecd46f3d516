"""Open311 GeoReport v2: the spec's fields, filters, paging and error lists."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from nuanxin.feedback.models import Complaint
from nuanxin.feedback.services import complaints as svc

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
SERVICE_FIELDS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


@pytest.fixture
def api_key(personas: Any) -> str:
    from nuanxin.accounts.services import api_token_issue

    _, raw = api_token_issue(name="12345 热线", by=personas.admin, integration="open311")
    return raw


def _is_error(response: Any, status: int) -> None:
    assert response.status_code == status
    body = response.json()
    assert isinstance(body, list) and body[0]["code"] == status and body[0]["description"]


def test_discovery(client: Any, db: Any) -> None:
    data = client.get(f"{BASE}/discovery.json").json()
    assert {"changeset", "contact", "key_service", "endpoints"} <= set(data)
    assert data["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert data["endpoints"][0]["url"].endswith("/open311/v2")


def test_services_and_definition(client: Any, db: Any) -> None:
    services = client.get(f"{BASE}/services.json").json()
    assert services and all(set(s) == SERVICE_FIELDS for s in services)
    assert {s["type"] for s in services} == {"realtime"}
    definition = client.get(f"{BASE}/services/waste.json").json()
    assert definition["service_code"] == "waste"
    assert definition["attributes"][0]["code"] == "merchant_uscc"
    assert {
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
    } <= set(definition["attributes"][0])
    _is_error(client.get(f"{BASE}/services/nope.json"), 404)
    _is_error(client.get(f"{BASE}/services.xml"), 400)


def test_post_creates_a_request_and_get_returns_it(
    client: Any, personas: Any, api_key: str
) -> None:
    response = client.post(
        f"{BASE}/requests.json",
        {
            "api_key": api_key,
            "service_code": "street_occupation",
            "lat": "33.87",
            "long": "115.75",
            "description": "人民路烧烤摊占道经营",
            "phone": "13912345678",
            "first_name": "明",
            "last_name": "张",
            "attribute[merchant_uscc]": personas.merchant_shop.uscc,
            "media_url": "https://example.org/p.jpg",
        },
    )
    assert response.status_code == 200, response.content
    created = response.json()[0]
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    complaint = Complaint.objects.get(tracking_no=created["service_request_id"])
    assert complaint.source == "open311" and complaint.merchant == personas.merchant_shop
    assert complaint.district == personas.district_a
    one = client.get(f"{BASE}/requests/{complaint.tracking_no}.json").json()
    assert len(one) == 1 and set(one[0]) == REQUEST_FIELDS
    item = one[0]
    assert item["status"] == "open" and item["service_code"] == "street_occupation"
    assert item["lat"] == 33.87 and item["long"] == 115.75
    assert item["agency_responsible"] == "谯城区北关中队"
    assert item["address_id"] == personas.merchant_shop.uscc
    assert item["media_url"] == "https://example.org/p.jpg"
    assert item["status_notes"]
    assert "13912345678" not in client.get(f"{BASE}/requests.json").content.decode()


@pytest.mark.parametrize(
    "data, status",
    [
        ({}, 403),
        ({"api_key": "nx_wrong"}, 403),
        ({"api_key": "KEY"}, 400),  # no service_code
        ({"api_key": "KEY", "service_code": "nope", "lat": "33.8", "long": "115.7"}, 404),
        (
            {"api_key": "KEY", "service_code": "waste", "description": "乱倒垃圾很严重"},
            400,
        ),  # no location
        (
            {
                "api_key": "KEY",
                "service_code": "waste",
                "lat": "x",
                "long": "115.7",
                "description": "乱倒垃圾很严重",
            },
            400,
        ),
        (
            {
                "api_key": "KEY",
                "service_code": "waste",
                "lat": "33.8",
                "long": "115.7",
                "description": "短",
            },
            400,
        ),
        (
            {
                "api_key": "KEY",
                "service_code": "waste",
                "lat": "33.8",
                "long": "115.7",
                "description": "乱倒垃圾很严重",
                "attribute[merchant_uscc]": "X",
            },
            400,
        ),
    ],
)
def test_post_errors(client: Any, personas: Any, api_key: str, data: dict, status: int) -> None:
    if data.get("api_key") == "KEY":
        data = {**data, "api_key": api_key}
    _is_error(client.post(f"{BASE}/requests.json", data), status)
    assert not Complaint.objects.exists()


def test_an_operator_token_is_not_an_open311_key(client: Any, personas: Any) -> None:
    from nuanxin.accounts.services import api_token_issue

    _, raw = api_token_issue(name="op", by=None, operator=personas.operator)
    _is_error(client.post(f"{BASE}/requests.json", {"api_key": raw, "service_code": "waste"}), 403)


def test_posts_are_limited_per_key_not_per_ip(
    client: Any, personas: Any, api_key: str, monkeypatch: Any
) -> None:
    from nuanxin.feedback.open311 import views

    monkeypatch.setattr(views, "OPEN311_MAX_PER_KEY_HOUR", 2)
    data = {
        "api_key": api_key,
        "service_code": "waste",
        "lat": "33.87",
        "long": "115.75",
        "description": "路边垃圾堆放多日",
    }
    for _n in range(2):
        assert client.post(f"{BASE}/requests.json", data).status_code == 200
    _is_error(client.post(f"{BASE}/requests.json", data), 429)
    assert Complaint.objects.count() == 2


def _make(personas: Any, n: int, *, days_ago: int = 0, category: str = "waste") -> list[Complaint]:
    out = []
    for i in range(n):
        c = svc.complaint_submit(
            category=category,
            description=f"第{i}处垃圾堆放问题",
            source="staff",
            lat=33.87,
            lng=115.75,
        )
        if days_ago:
            Complaint.objects.filter(pk=c.pk).update(
                created_at=timezone.now() - dt.timedelta(days=days_ago)
            )
        out.append(c)
    return out


def test_get_filters_and_paging(client: Any, personas: Any) -> None:
    recent = _make(personas, 3)
    old = _make(personas, 1, days_ago=120)
    noise = _make(personas, 1, category="fumes_noise")
    svc.complaint_dismiss(complaint=noise[0], by=personas.officer_a, reason="重复投诉")

    ids = lambda r: {x["service_request_id"] for x in r.json()}  # noqa: E731
    default = client.get(f"{BASE}/requests.json")
    assert ids(default) == {c.tracking_no for c in recent + noise}  # last 90 days
    assert ids(client.get(f"{BASE}/requests.json?status=closed")) == {noise[0].tracking_no}
    assert client.get(f"{BASE}/requests.json?status=closed").json()[0]["status"] == "closed"
    assert ids(client.get(f"{BASE}/requests.json?status=open,closed")) == {
        c.tracking_no for c in recent + noise
    }
    assert ids(client.get(f"{BASE}/requests.json?service_code=fumes_noise")) == {
        noise[0].tracking_no
    }
    start = (timezone.now() - dt.timedelta(days=150)).date().isoformat()
    end = (timezone.now() - dt.timedelta(days=100)).date().isoformat()
    assert ids(client.get(f"{BASE}/requests.json?start_date={start}&end_date={end}")) == {
        old[0].tracking_no
    }
    # A list of ids overrides every other filter.
    both = f"{old[0].tracking_no},{recent[0].tracking_no}"
    assert ids(client.get(f"{BASE}/requests.json?service_request_id={both}&status=closed")) == {
        old[0].tracking_no,
        recent[0].tracking_no,
    }
    page1 = client.get(f"{BASE}/requests.json?page_size=2&page=1").json()
    page2 = client.get(f"{BASE}/requests.json?page_size=2&page=2").json()
    assert len(page1) == 2 and len(page2) == 2
    assert not {x["service_request_id"] for x in page1} & {x["service_request_id"] for x in page2}


@pytest.mark.parametrize(
    "query",
    [
        "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",  # > 90 days
        "start_date=2026-06-01&end_date=2026-05-01",
        "start_date=yesterday",
        "status=pending",
        "service_code=nope",
        "page=0",
        "page_size=5000",
        "page_size=abc",
    ],
)
def test_get_errors(client: Any, db: Any, query: str) -> None:
    _is_error(client.get(f"{BASE}/requests.json?{query}"), 400)


def test_unknown_request_is_404(client: Any, db: Any) -> None:
    _is_error(client.get(f"{BASE}/requests/TS000.json"), 404)


def test_datetimes_are_w3c_with_offset(client: Any, personas: Any) -> None:
    _make(personas, 1)
    item = client.get(f"{BASE}/requests.json").json()[0]
    parsed = dt.datetime.fromisoformat(item["requested_datetime"])
    assert parsed.utcoffset() == dt.timedelta(hours=8)
