from __future__ import annotations

from typing import Any

import pytest

from nuanxin.core.errors import Conflict, DomainError
from nuanxin.feedback.models import Rating
from nuanxin.feedback.services.ratings import RateLimited, rating_submit

pytestmark = pytest.mark.django_db


def _rate(personas: Any, **kw: Any) -> Rating:
    args = {
        "merchant": personas.merchant_shop,
        "door_code": None,
        "stars": 4,
        "tags": ["干净卫生"],
        "text": "味道不错",
        "device_key": "d:abc",
        "ip": "10.0.0.9",
    }
    args.update(kw)
    return rating_submit(**args)


def test_a_rating_feeds_the_credit_record_and_is_audited(personas: Any) -> None:
    from nuanxin.audit.models import AuditEvent
    from nuanxin.credit.models import CreditEvent

    rating = _rate(personas, stars=2)
    event = CreditEvent.objects.get(kind="rating")
    assert event.merchant_id == personas.merchant_shop.pk and int(event.value) == 2
    assert event.source_id == str(rating.pk)
    assert AuditEvent.objects.filter(action="rating.submit", object_id=str(rating.pk)).exists()


def test_one_rating_per_device_per_merchant_per_day(personas: Any) -> None:
    _rate(personas)
    with pytest.raises(Conflict):
        _rate(personas, stars=1)
    _rate(personas, device_key="d:other")  # another phone may
    assert Rating.objects.count() == 2


def test_per_ip_rate_limit(personas: Any, settings: Any, monkeypatch: Any) -> None:
    from nuanxin.feedback.services import ratings

    monkeypatch.setattr(ratings, "RATINGS_PER_IP_PER_HOUR", 3)
    for n in range(3):
        _rate(personas, device_key=f"d:{n}")
    with pytest.raises(RateLimited):
        _rate(personas, device_key="d:99")
    assert Rating.objects.count() == 3


@pytest.mark.parametrize("text", ["你个傻逼", "傻 逼老板", "ＳＢ", "fuck this"])
def test_abusive_text_is_refused(personas: Any, text: str) -> None:
    with pytest.raises(DomainError) as err:
        _rate(personas, text=text)
    assert err.value.code == "abusive_text"
    assert not Rating.objects.exists()


def test_innocent_words_containing_a_blocked_latin_word_pass(personas: Any) -> None:
    _rate(personas, text="有USB充电口，很方便")


@pytest.mark.parametrize("stars", [0, 6])
def test_stars_out_of_range_are_refused(personas: Any, stars: int) -> None:
    with pytest.raises(DomainError):
        _rate(personas, stars=stars)


def test_unknown_tags_are_refused(personas: Any) -> None:
    with pytest.raises(DomainError) as err:
        _rate(personas, tags=["随便写的"])
    assert err.value.code == "bad_tags"


def test_blocked_words_are_data_the_bureau_edits(
    personas: Any, settings: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    import shutil

    src = settings.BASE_DIR / "data" / "feedback"
    for name in ("catalog.yaml", "sla.yaml"):
        shutil.copy(src / name, tmp_path / name)
    (tmp_path / "blocked_words.txt").write_text("# test\n黑心店\n", encoding="utf-8")
    monkeypatch.setenv("NUANXIN_FEEDBACK_DATA_DIR", str(tmp_path))
    with pytest.raises(DomainError):
        _rate(personas, text="这是黑心店")
    _rate(personas, text="傻逼")  # not on this bureau's list


def test_rating_page_flow(client: Any, personas: Any, door_code: Any) -> None:
    url = f"/q/{door_code.token}/rate"
    first = client.get(url)
    assert first.status_code == 200 and "nx_device" in first.cookies
    response = client.post(url, {"stars": "5", "tags": ["服务热情"], "text": "好"})
    assert response.status_code == 200 and "感谢您的评价" in response.content.decode()
    again = client.post(url, {"stars": "1"})
    assert again.status_code == 409 and "今天已经评价过" in again.content.decode()
    # The scan page shows the new summary at once (the cache is invalidated on commit).
    assert 'id="rating-average">5.0' in client.get(f"/q/{door_code.token}").content.decode()


def test_without_cookies_the_ip_is_the_device(client: Any, personas: Any, door_code: Any) -> None:
    url = f"/q/{door_code.token}/rate"
    assert client.post(url, {"stars": "4"}).status_code == 200
    client.cookies.clear()
    assert client.post(url, {"stars": "4"}).status_code == 409


def test_rating_with_a_forged_token_is_refused(client: Any, personas: Any, door_code: Any) -> None:
    last = "Y" if door_code.token.endswith("Z") else "Z"  # the token may end in Z itself
    response = client.post(f"/q/{door_code.token[:-1]}{last}/rate", {"stars": "5"})
    assert response.status_code == 404
    assert not Rating.objects.exists()


@pytest.mark.parametrize(
    "who, status",
    [("officer_a", 302), ("chief", 302), ("officer_b", 404), ("merchant", 403), ("outsider", 403)],
)
def test_rating_moderation_scope(client_for: Any, personas: Any, who: str, status: int) -> None:
    rating = _rate(personas)
    response = client_for(getattr(personas, who)).post(
        f"/staff/ratings/{rating.pk}/hide", {"reason": "刷评"}
    )
    assert response.status_code == status
    rating.refresh_from_db()
    assert rating.hidden is (status == 302)


def test_staff_door_code_page_lists_ratings_and_hides_one(
    client_for: Any, personas: Any, door_code: Any
) -> None:
    rating = _rate(personas, text="刷好评")
    staff = client_for(personas.officer_a)
    page = staff.get(f"/staff/doorcodes/{personas.merchant_shop.pk}/").content.decode()
    assert "刷好评" in page and f"/staff/ratings/{rating.pk}/hide" in page
    response = staff.post(
        f"/staff/ratings/{rating.pk}/hide", {"reason": "刷评", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/staff/doorcodes/{personas.merchant_shop.pk}/"
    rating.refresh_from_db()
    assert rating.hidden
