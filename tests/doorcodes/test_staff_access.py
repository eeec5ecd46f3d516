"""Every door-code staff endpoint refuses the wrong persona."""

from __future__ import annotations

from typing import Any

import pytest

from nuanxin.doorcodes.models import DoorCode

pytestmark = pytest.mark.django_db

GET_ENDPOINTS = ["", "qr.png", "qr.svg", "plate.pdf"]


@pytest.mark.parametrize("suffix", GET_ENDPOINTS)
def test_anonymous_is_sent_to_login(
    client: Any, personas: Any, door_code: Any, suffix: str
) -> None:
    response = client.get(f"/staff/doorcodes/{personas.merchant_shop.pk}/{suffix}")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("suffix", GET_ENDPOINTS)
@pytest.mark.parametrize(
    "who, status",
    [
        ("officer_a", 200),
        ("chief", 200),
        ("dispatcher", 200),
        ("merchant", 200),  # the owner may print its own plate
        ("officer_b", 404),  # another district: existence does not leak
        ("outsider", 403),
        ("operator_admin", 403),
    ],
)
def test_download_scope(
    client_for: Any, personas: Any, door_code: Any, suffix: str, who: str, status: int
) -> None:
    response = client_for(getattr(personas, who)).get(
        f"/staff/doorcodes/{personas.merchant_shop.pk}/{suffix}"
    )
    assert response.status_code == status


@pytest.mark.parametrize(
    "who, status, issued",
    [
        ("officer_a", 302, True),
        ("chief", 302, True),
        ("officer_b", 404, False),
        ("merchant", 403, False),
        ("dispatcher", 403, False),
        ("reviewer", 403, False),
        ("outsider", 403, False),
    ],
)
def test_issue_scope(
    client_for: Any, personas: Any, door_code: Any, who: str, status: int, issued: bool
) -> None:
    response = client_for(getattr(personas, who)).post(
        f"/staff/doorcodes/{personas.merchant_shop.pk}/issue", {"reason": "码牌损毁"}
    )
    assert response.status_code == status
    assert DoorCode.objects.filter(merchant=personas.merchant_shop).count() == (2 if issued else 1)
    assert (
        DoorCode.objects.filter(merchant=personas.merchant_shop, revoked_at__isnull=True).count()
        == 1
    )


def test_issue_needs_post(client_for: Any, personas: Any) -> None:
    response = client_for(personas.officer_a).get(
        f"/staff/doorcodes/{personas.merchant_shop.pk}/issue"
    )
    assert response.status_code == 405


def test_downloads_404_before_a_code_is_issued(client_for: Any, personas: Any) -> None:
    response = client_for(personas.officer_a).get(
        f"/staff/doorcodes/{personas.merchant_shop.pk}/qr.png"
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "who, status",
    [("dispatcher", 200), ("officer_a", 200), ("chief", 200), ("merchant", 403), ("outsider", 403)],
)
def test_counterfeit_page_scope(client_for: Any, personas: Any, who: str, status: int) -> None:
    assert (
        client_for(getattr(personas, who)).get("/staff/doorcodes/counterfeits/").status_code
        == status
    )


def test_counterfeit_counts_per_location_and_district_scope(
    client: Any, client_for: Any, personas: Any
) -> None:
    from nuanxin.doorcodes.services import counterfeit_scan_log, counterfeit_scan_report

    north = counterfeit_scan_log(
        token_text="fake-1", reason="malformed", door_code=None, ip="10.0.0.1", user_agent=""
    )
    counterfeit_scan_log(
        token_text="fake-1", reason="malformed", door_code=None, ip="10.0.0.1", user_agent=""
    )
    south = counterfeit_scan_log(
        token_text="fake-2", reason="malformed", door_code=None, ip="10.0.0.2", user_agent=""
    )
    counterfeit_scan_report(scan=north, lat=33.87, lng=115.75)
    counterfeit_scan_report(scan=south, lat=33.82, lng=115.75)
    data = client_for(personas.dispatcher).get("/staff/doorcodes/counterfeits/?format=json").json()
    assert data["totals"] == {"rows": 2, "hits": 3, "located": 2}
    assert sorted(c["hits"] for c in data["cells"]) == [1, 2]
    mine = client_for(personas.officer_b).get("/staff/doorcodes/counterfeits/?format=json").json()
    assert [c["district"] for c in mine["cells"]] == ["谯城区南京中队"]
