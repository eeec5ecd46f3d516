from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(
    ("persona", "status"),
    [("officer_a", 200), ("reviewer", 200), ("merchant", 403), ("outsider", 403)],
)
def test_catalogue_pages_are_for_staff(
    personas: Any, catalogue: Any, client_for: Any, persona: str, status: int
) -> None:
    c = client_for(getattr(personas, persona))
    assert c.get("/staff/laws/", {"q": "sk"}).status_code == status
    r = c.get("/staff/laws/open_air_bbq/")
    assert r.status_code == status
    if status == 200:
        body = r.content.decode()
        assert "没收烧烤工具和违法所得，并处五百元以上二万元以下罚款" in body
        assert "须与国家法律法规数据库核对" in body


def test_api_search_detail_and_discretion(personas: Any, catalogue: Any, client_for: Any) -> None:
    c = client_for(personas.officer_a)
    found = c.get("/api/v1/laws/tags", {"q": "烧烤"}).json()
    assert found[0]["code"] == "open_air_bbq"
    tag = c.get("/api/v1/laws/tags/shared_bike_parking").json()
    assert tag["penalty_scope"] == "local" and tag["catalogue_version"] == "2026.1"
    r = c.post(
        "/api/v1/laws/tags/open_air_bbq/discretion",
        {"party_kind": "person", "facts": {"prior_count_in_window": 2}},
        content_type="application/json",
    )
    assert r.status_code == 200
    assert r.json()["level"] == "heavier"
    bad = c.post(
        "/api/v1/laws/tags/open_air_bbq/discretion",
        {"party_kind": "alien", "facts": {}},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "party_kind_invalid"


@pytest.mark.parametrize(("persona", "status"), [("merchant", 403), ("operator_admin", 403)])
def test_api_refuses_non_staff(
    personas: Any, catalogue: Any, client_for: Any, persona: str, status: int
) -> None:
    assert client_for(getattr(personas, persona)).get("/api/v1/laws/tags").status_code == status


def test_api_needs_login(client: Any, catalogue: Any) -> None:
    assert client.get("/api/v1/laws/tags").status_code == 401
