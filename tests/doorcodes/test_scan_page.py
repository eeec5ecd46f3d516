from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from nuanxin.doorcodes.models import CounterfeitScan
from nuanxin.doorcodes.services import door_code_issue, door_code_revoke
from nuanxin.doorcodes.tokens import token_make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    from nuanxin.doorcodes.selectors import _PAGES

    cache.clear()
    _PAGES.clear()


def test_it_shows_the_merchant_licences_level_and_buttons(
    client: Any, personas: Any, door_code: Any
) -> None:
    from nuanxin.merchants.models import Licence

    Licence.objects.create(
        merchant=personas.merchant_shop,
        kind=Licence.Kind.FOOD,
        number="JY-EXPIRED-1",
        valid_from=dt.date(2020, 1, 1),
        valid_until=timezone.localdate() - dt.timedelta(days=3),
    )
    response = client.get(f"/q/{door_code.token}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "老王烧烤店" in html
    assert "BL-TEST-0001" in html and "有效" in html
    assert "JY-EXPIRED-1" in html and "已过期" in html
    assert 'id="credit-level"' in html
    assert f"/q/{door_code.token}/rate" in html and f"/q/{door_code.token}/complain" in html
    # The credit breakdown and the responsible person's phone never appear publicly.
    assert "13905581234" not in html


def test_it_needs_few_queries(
    client: Any, personas: Any, door_code: Any, django_assert_max_num_queries: Any
) -> None:
    client.get(f"/q/{door_code.token}")  # warm the summary cache
    with django_assert_max_num_queries(2):
        assert client.get(f"/q/{door_code.token}").status_code == 200


@pytest.mark.parametrize(
    "make_token, reason, status",
    [
        (lambda code: code.token[:-2] + "xx", "bad_signature", 404),
        (lambda code: token_make(code_id="zzzzzzzz", version=1), "unknown", 404),
        (lambda code: "not-a-real-code", "malformed", 404),
    ],
)
def test_it_refuses_forged_and_altered_tokens_and_logs_them(
    client: Any, personas: Any, door_code: Any, make_token: Any, reason: str, status: int
) -> None:
    token = make_token(door_code)
    response = client.get(f"/q/{token}", HTTP_USER_AGENT="Mozilla/5.0 (iPhone)")
    assert response.status_code == status
    assert "此码无效，请举报" in response.content.decode()
    assert "老王烧烤店" not in response.content.decode()
    scan = CounterfeitScan.objects.get()
    assert scan.token_text == token
    assert scan.reason == reason
    assert scan.ip == "127.0.0.1"
    assert scan.user_agent.startswith("Mozilla/5.0")


def test_a_revoked_code_is_refused_after_reissue(
    client: Any, personas: Any, door_code: Any
) -> None:
    old_token = door_code.token
    new = door_code_issue(merchant=personas.merchant_shop, by=personas.officer_a, reason="码牌损毁")
    assert client.get(f"/q/{new.token}").status_code == 200
    response = client.get(f"/q/{old_token}")
    assert response.status_code == 410
    assert "此码无效，请举报" in response.content.decode()
    assert CounterfeitScan.objects.get().reason == "revoked"


def test_a_code_revoked_without_replacement_is_refused(
    client: Any, personas: Any, door_code: Any
) -> None:
    door_code_revoke(code=door_code, by=personas.chief, reason="商户停业")
    assert client.get(f"/q/{door_code.token}").status_code == 410


def test_repeated_bad_scans_count_hits_and_a_report_adds_the_location(
    client: Any, personas: Any
) -> None:
    for _ in range(3):
        response = client.get("/q/fake-plate-123")
    scan = CounterfeitScan.objects.get()
    assert scan.hits == 3
    report = response.context["report_token"]
    response = client.post(
        "/q/_report", {"report": report, "lat": "33.87", "lng": "115.75", "note": "人民路口"}
    )
    assert response.status_code == 200
    scan.refresh_from_db()
    assert scan.grid_cell and scan.district == personas.district_a
    assert scan.report_note == "人民路口"


def test_a_report_with_a_forged_scan_id_is_refused(client: Any, personas: Any) -> None:
    response = client.post("/q/_report", {"report": "1:forged", "lat": "33.87", "lng": "115.75"})
    assert response.status_code == 400


def test_reissue_is_audited(personas: Any, door_code: Any) -> None:
    from nuanxin.audit.models import AuditEvent

    door_code_issue(merchant=personas.merchant_shop, by=personas.officer_a, reason="测试")
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions[-2:] == ["door_code.issue", "door_code.reissue"]
