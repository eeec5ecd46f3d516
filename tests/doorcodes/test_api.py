from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from nuanxin.doorcodes.models import CounterfeitScan
from nuanxin.doorcodes.services import door_code_issue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def test_the_public_scan_api_shows_the_shop_without_personal_data(
    client: Any, door_code: Any
) -> None:
    response = client.get(f"/api/v1/doorcodes/scan/{door_code.token}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "老王烧烤店" and body["credit_level"]
    assert body["licences"][0]["number"] == "BL-TEST-0001"
    text = response.content.decode()
    assert "王大明" not in text and "13905581234" not in text  # the responsible person


def test_a_forged_token_is_refused_and_logged(client: Any, door_code: Any) -> None:
    forged = door_code.token[:-2] + ("AA" if not door_code.token.endswith("AA") else "BB")
    response = client.get(f"/api/v1/doorcodes/scan/{forged}")
    assert response.status_code == 404
    assert response.json()["detail"] == "此码无效，请举报。"
    assert CounterfeitScan.objects.count() == 1


def test_a_revoked_token_is_gone(client: Any, personas: Any, door_code: Any) -> None:
    door_code_issue(merchant=personas.merchant_shop, by=personas.officer_a, reason="码牌损毁")
    response = client.get(f"/api/v1/doorcodes/scan/{door_code.token}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 410
    assert response.json()["code"] == "revoked"
