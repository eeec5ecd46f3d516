"""MDS versioning (general-information.md, Versioning): a client names the version it targets
in `Accept: application/vnd.mds+json;version=2.0`; an unsupported or invalid version gets
406; responses say which version they are. Plain JSON clients and clients that send no
Accept header are served 2.0, the only version we speak."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from nuanxin.mds.models import MdsEvent
from tests.mds.conftest import Agency
from tests.mds.schemas import assert_valid, mds_response_validator

MDS_2_0 = "application/vnd.mds+json;version=2.0"


def post_events(agency: Agency, items: list[dict[str, Any]], accept: str | None) -> Any:
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    return agency.client.post(
        "/mds/agency/events",
        data=json.dumps(items),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {agency.token}",
        **headers,
    )


@pytest.mark.parametrize(
    "accept",
    [
        "application/vnd.mds+json;version=0.4",
        "application/vnd.mds+json;version=9.9",
        "application/vnd.mds+json; version=1.2",
        "application/vnd.mds+json;version=2.0.0",  # major.minor only
        "application/vnd.mds+json;version=abc",
        "application/vnd.mds.agency+json;version=0.3",
        "application/vnd.mds+json;version=0.4, application/vnd.mds+json;version=1.0",
        "application/vnd.mds+json;version=2.0;q=0, application/vnd.mds+json;version=0.4",
    ],
)
def test_an_unsupported_version_is_refused_with_406_and_nothing_is_stored(
    agency: Agency, accept: str
) -> None:
    bike = agency.register(1)[0]
    response = post_events(agency, [agency.event(bike)], accept)
    assert response.status_code == 406
    assert response["Content-Type"] == MDS_2_0
    body = response.json()
    assert body["error"] == "not_acceptable"
    assert body["error_details"] == ["Accept"]
    assert "2.0" in body["error_description"]
    assert_valid(mds_response_validator("agency", "/events", "post", 500), body)
    assert MdsEvent.objects.count() == 0


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "application/json",
        "*/*",
        "application/vnd.mds+json;version=2.0",
        "application/vnd.mds+json; version=2.0",
        'application/vnd.mds+json;version="2.0"',
        "APPLICATION/VND.MDS+JSON;VERSION=2.0",
        "application/vnd.mds+json",  # no version: served as the version we speak
        "application/vnd.mds+json;version=0.4, application/vnd.mds+json;version=2.0;q=0.5",
        "text/html, application/json;q=0.9",
    ],
)
def test_version_2_0_plain_json_and_no_accept_header_are_served(
    agency: Agency, accept: str | None
) -> None:
    bike = agency.register(1)[0]
    response = post_events(agency, [agency.event(bike)], accept)
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == MDS_2_0
    assert response.json()["success"] == 1


def test_every_agency_endpoint_checks_the_version(agency: Agency) -> None:
    bike = agency.register(1)[0]
    old = {"HTTP_ACCEPT": "application/vnd.mds+json;version=0.4"}
    auth = {"HTTP_AUTHORIZATION": f"Bearer {agency.token}"}
    for method, path in [
        ("get", "/vehicles"),
        ("get", f"/vehicles/{bike.device_id}"),
        ("get", "/vehicles/status"),
        ("get", f"/vehicles/status/{bike.device_id}"),
        ("post", "/vehicles"),
        ("put", "/vehicles"),
        ("post", "/telemetry"),
        ("post", "/trips"),
    ]:
        body = {} if method == "get" else {"data": "[]", "content_type": "application/json"}
        call = getattr(agency.client, method)
        response = call(f"/mds/agency{path}", **body, **auth, **old)
        assert response.status_code == 406, (method, path)
        ok = call(f"/mds/agency{path}", **body, **auth, HTTP_ACCEPT=MDS_2_0)
        assert ok.status_code != 406, (method, path)
        assert ok["Content-Type"] == MDS_2_0, (method, path)


def test_the_published_policy_and_geography_check_the_version(personas: Any) -> None:
    client = Client()
    for path in ("/mds/policy/policies", "/mds/geography/geographies", "/mds/policy/requirements"):
        refused = client.get(path, HTTP_ACCEPT="application/vnd.mds+json;version=0.4")
        assert refused.status_code == 406, path
        assert refused.json()["error"] == "not_acceptable"
        served = client.get(path, HTTP_ACCEPT=MDS_2_0)
        assert served.status_code == 200, path
        assert served["Content-Type"] == MDS_2_0, path
        assert client.get(path).status_code == 200, path


def test_new_item_errors_read_in_english_for_an_english_client(agency: Agency) -> None:
    bike = agency.register(1)[0]
    refused = agency.client.post(
        "/mds/agency/events",
        data=json.dumps([agency.event(bike)]),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {agency.token}",
        HTTP_ACCEPT="application/vnd.mds+json;version=0.4",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.json()["error_description"].startswith("The requested MDS version 0.4")
    trip = agency.trip(bike, currency="yuan")
    body = agency.client.post(
        "/mds/agency/trips",
        data=json.dumps([trip]),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {agency.token}",
        HTTP_ACCEPT_LANGUAGE="en",
    ).json()
    assert body["failures"][0]["error_description"].startswith("currency must be an ISO 4217")
