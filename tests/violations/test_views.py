from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

import pytest
from django.utils import timezone

from nuanxin.laws.selectors import tag_get
from nuanxin.violations.models import Violation
from nuanxin.violations.services import party_for_merchant, violation_record


@pytest.fixture
def violation(personas: Any, catalogue: Any) -> Violation:
    party = party_for_merchant(merchant=personas.merchant_shop, by=personas.officer_a)
    return violation_record(
        party=party, tag=tag_get("open_air_bbq"), occurred_at=timezone.now() - dt.timedelta(hours=1),
        place="人民路18号门前", lat=33.87, lng=115.75, source="field", by=personas.officer_a,
        facts={"corrected_promptly": True},
    )  # fmt: skip


def test_tag_search_fragment_finds_bbq_by_pinyin(
    personas: Any, catalogue: Any, client_for: Any
) -> None:
    r = client_for(personas.officer_a).get("/staff/violations/tags", {"q": "sk"})
    assert r.status_code == 200
    assert 'value="open_air_bbq"' in r.content.decode()


def test_party_search_is_scoped_to_the_district(
    personas: Any, catalogue: Any, client_for: Any
) -> None:
    mine = client_for(personas.officer_a).get("/staff/violations/parties", {"q": "老王"})
    assert f"merchant:{personas.merchant_shop.pk}" in mine.content.decode()
    other = client_for(personas.officer_b).get("/staff/violations/parties", {"q": "老王"})
    assert f"merchant:{personas.merchant_shop.pk}" not in other.content.decode()


def test_an_officer_records_a_first_offence_through_the_form(
    personas: Any, catalogue: Any, client_for: Any
) -> None:
    c = client_for(personas.officer_a)
    r = c.post(
        "/staff/violations/new/",
        {
            "tag_code": "open_air_bbq", "party_ref": f"merchant:{personas.merchant_shop.pk}",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "place": "人民路18号门前",
            "lat": "33.87", "lng": "115.75", "source": "field", "harm": "minor",
            "corrected_promptly": "on", "evidence_refs": "IMG_0001.jpg\nIMG_0002.jpg",
        },
    )  # fmt: skip
    assert r.status_code == 302, r.content.decode()[:2000]
    v = Violation.objects.get()
    assert r["Location"] == f"/staff/violations/{v.pk}/"
    assert v.evidence_refs == ["IMG_0001.jpg", "IMG_0002.jpg"]
    page = c.get(r["Location"]).content.decode()
    assert "首违普法教育" in page and v.slip.number in page and "第三十三条" in page


def test_a_person_party_can_be_registered_on_the_spot(
    personas: Any, catalogue: Any, client_for: Any
) -> None:
    r = client_for(personas.officer_a).post(
        "/staff/violations/new/",
        {
            "tag_code": "mobile_vending", "party_ref": "new", "new_kind": "person", "new_name": "赵六",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "place": "北关街口",
            "source": "field", "harm": "minor",
        },
    )  # fmt: skip
    assert r.status_code == 302
    assert Violation.objects.get().party.name == "赵六"


def test_bad_form_input_shows_a_specific_error(
    personas: Any, catalogue: Any, client_for: Any
) -> None:
    r = client_for(personas.officer_a).post(
        "/staff/violations/new/",
        {
            "tag_code": "open_air_bbq", "party_ref": f"merchant:{personas.merchant_shop.pk}",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "place": "某地",
            "source": "camera", "harm": "minor",
        },
    )  # fmt: skip
    assert r.status_code == 400
    assert "非现场记录须填写抓拍编号" in r.content.decode()
    assert Violation.objects.count() == 0


@pytest.mark.parametrize(
    ("persona", "status"),
    [("officer_a", 200), ("officer_a2", 200), ("chief", 200), ("officer_b", 404),
     ("merchant", 403), ("operator_admin", 403), ("outsider", 403)],
)  # fmt: skip
def test_violation_detail_is_protected(
    personas: Any, violation: Violation, client_for: Any, persona: str, status: int
) -> None:
    r = client_for(getattr(personas, persona)).get(f"/staff/violations/{violation.pk}/")
    assert r.status_code == status


@pytest.mark.parametrize(
    ("persona", "status"),
    [("officer_a", 200), ("officer_b", 404), ("merchant", 403), ("outsider", 403)],
)
def test_party_timeline_is_protected(
    personas: Any, violation: Violation, client_for: Any, persona: str, status: int
) -> None:
    r = client_for(getattr(personas, persona)).get(
        f"/staff/violations/parties/{violation.party_id}/timeline/"
    )
    assert r.status_code == status
    if status == 200:
        assert "首违普法教育：露天烧烤" in r.content.decode()


def test_recording_pages_refuse_non_recorders(
    personas: Any, catalogue: Any, client_for: Any
) -> None:
    assert client_for(personas.merchant).get("/staff/violations/new/").status_code == 403
    assert client_for(personas.analyst).get("/staff/violations/new/").status_code == 403
    assert client_for(personas.officer_a).get("/staff/violations/new/").status_code == 200


def test_anonymous_users_are_sent_to_login(client: Any, catalogue: Any) -> None:
    r = client.get("/staff/violations/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


@pytest.mark.parametrize(
    ("suffix", "ctype"),
    [(".escpos?variant=text", "application/octet-stream"), (".escpos?variant=bitmap", "application/octet-stream"),
     (".cpcl", "application/octet-stream"), (".pdf", "application/pdf"), (".png", "image/png"), ("", "application/json")],
)  # fmt: skip
def test_handheld_api_serves_the_slip(
    personas: Any, violation: Violation, client_for: Any, suffix: str, ctype: str
) -> None:
    number = quote(violation.slip.number)
    path, _q, query = suffix.partition("?")
    url = f"/api/v1/violations/slips/{number}{path}" + (f"?{query}" if query else "")
    r = client_for(personas.officer_a).get(url)
    assert r.status_code == 200, r.content[:300]
    assert r["Content-Type"].startswith(ctype)
    if suffix == ".escpos?variant=text":
        assert violation.slip.number.encode("gb18030") in r.content


@pytest.mark.parametrize(
    ("persona", "status"), [("officer_b", 404), ("merchant", 403), ("outsider", 403)]
)
def test_handheld_api_refuses_the_wrong_persona(
    personas: Any, violation: Violation, client_for: Any, persona: str, status: int
) -> None:
    number = quote(violation.slip.number)
    r = client_for(getattr(personas, persona)).get(f"/api/v1/violations/slips/{number}.escpos")
    assert r.status_code == status


def test_handheld_api_needs_a_login(client: Any, violation: Violation) -> None:
    r = client.get(f"/api/v1/violations/slips/{quote(violation.slip.number)}.pdf")
    assert r.status_code == 401


def test_unknown_slip_token_is_404(client: Any, db: Any) -> None:
    r = client.get("/v/slip/not-a-real-token")
    assert r.status_code == 404
    assert "未找到该提示单" in r.content.decode()


def test_timeline_provider_feeds_the_merchant_timeline(personas: Any, violation: Violation) -> None:
    from nuanxin.merchants.timeline import timeline_for

    kinds = [e.kind for e in timeline_for(merchant=personas.merchant_shop)]
    assert "education" in kinds


def test_the_record_form_is_offered_only_to_roles_that_may_record(
    personas: Any, violation: Violation, client_for: Any
) -> None:
    new = 'href="/staff/violations/new/"'
    for user, offered in ((personas.officer_a, True), (personas.reviewer, False)):
        client = client_for(user)
        assert (new in client.get("/staff/violations/").content.decode()) is offered
        detail = client.get(f"/staff/violations/{violation.pk}/").content.decode()
        assert (new in detail) is offered
        assert (client.get("/staff/violations/new/").status_code == 200) is offered
