"""The public JSON submit API (mini-programs, handheld apps): same services, same rules."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from nuanxin.audit.models import AuditEvent
from nuanxin.doorcodes.models import CounterfeitScan
from nuanxin.feedback.models import Complaint, ComplaintPhoto, Rating
from tests.feedback.conftest import jpeg_with_gps

pytestmark = pytest.mark.django_db

RATINGS = "/api/v1/feedback/ratings"
COMPLAINTS = "/api/v1/feedback/complaints"


def _rate(client: Any, token: str, device: str = "phone-0001", **fields: Any) -> Any:
    body = {"token": token, "stars": 4, "tags": ["干净卫生"], "text": "味道不错"} | fields
    return client.post(
        RATINGS,
        data=json.dumps(body),
        content_type="application/json",
        HTTP_X_DEVICE_ID=device,
        **{k: v for k, v in fields.items() if k.startswith("HTTP_")},
    )


def _complain(client: Any, token: str, photos: list | None = None, **extra: Any) -> Any:
    data: dict[str, Any] = {
        "token": token,
        "category": "street_occupation",
        "description": "店门口摆满桌椅，占用人行道",
        "phone": "139 1234 5678",
    }
    headers = {k: v for k, v in extra.items() if k.startswith("HTTP_")}
    data.update({k: v for k, v in extra.items() if not k.startswith("HTTP_")})
    if photos:
        data["photos"] = photos
    return client.post(COMPLAINTS, data=data, **headers)


def test_a_rating_through_the_api_is_stored_audited_and_counted(
    client: Any, door_code: Any
) -> None:
    response = _rate(client, door_code.token, stars=5)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["stars"] == 5 and body["tags"] == ["干净卫生"] and body["merchant"] == "老王烧烤店"
    rating = Rating.objects.get()
    assert rating.door_code == door_code and rating.device_key.startswith("a:")
    assert "phone-0001" not in rating.device_key  # the raw install id is not stored
    assert AuditEvent.objects.filter(action="rating.submit", object_id=str(rating.pk)).exists()


@pytest.mark.parametrize(
    "fields, status, code",
    [
        ({"stars": 0}, 400, "bad_stars"),
        ({"stars": 6}, 400, "bad_stars"),
        ({"tags": ["不存在的标签"]}, 400, "bad_tags"),
        ({"text": "老板是个傻逼"}, 400, "abusive_text"),
        ({"text": "好" * 501}, 400, "text_too_long"),
        ({"stars": "五星"}, 422, "invalid_input"),
    ],
)
def test_bad_ratings_are_refused_in_chinese_and_store_nothing(
    client: Any, door_code: Any, fields: dict, status: int, code: str
) -> None:
    response = _rate(client, door_code.token, **fields)
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"])
    assert not Rating.objects.exists()


def test_errors_follow_the_callers_language(client: Any, door_code: Any) -> None:
    response = _rate(client, door_code.token, stars=9, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["detail"] == "Please choose 1 to 5 stars."
    response = _rate(client, door_code.token, stars="x", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("Invalid request:")
    assert "stars" in response.json()["detail"]


def test_a_forged_token_is_refused_logged_and_stores_nothing(client: Any, door_code: Any) -> None:
    forged = door_code.token[:-2] + ("AA" if not door_code.token.endswith("AA") else "BB")
    response = _rate(client, forged)
    assert response.status_code == 404
    assert response.json() == {"code": "bad_signature", "detail": "此码无效，请举报。"}
    response = _complain(client, forged)
    assert response.status_code == 404
    assert CounterfeitScan.objects.get().hits == 2
    assert not Rating.objects.exists() and not Complaint.objects.exists()


def test_a_revoked_token_is_gone(client: Any, personas: Any, door_code: Any) -> None:
    from nuanxin.doorcodes.services import door_code_issue

    door_code_issue(merchant=personas.merchant_shop, by=personas.officer_a, reason="码牌损毁")
    assert _rate(client, door_code.token).status_code == 410
    response = _complain(client, door_code.token)
    assert response.status_code == 410 and response.json()["code"] == "revoked"
    assert CounterfeitScan.objects.filter(reason="revoked").exists()
    assert not Rating.objects.exists() and not Complaint.objects.exists()


def test_one_rating_per_device_per_merchant_per_day(client: Any, door_code: Any) -> None:
    assert _rate(client, door_code.token).status_code == 201
    again = _rate(client, door_code.token, stars=1)
    assert again.status_code == 409 and again.json()["code"] == "rated_today"
    assert _rate(client, door_code.token, device="phone-0002").status_code == 201
    assert Rating.objects.count() == 2


def test_ratings_are_rate_limited_per_ip(client: Any, door_code: Any, monkeypatch: Any) -> None:
    from nuanxin.feedback.services import ratings

    monkeypatch.setattr(ratings, "RATINGS_PER_IP_PER_HOUR", 2)
    for n in range(2):
        assert _rate(client, door_code.token, device=f"phone-{n:04d}").status_code == 201
    response = _rate(client, door_code.token, device="phone-9999")
    assert response.status_code == 429 and response.json()["code"] == "rate_limited"
    assert Rating.objects.count() == 2


def test_a_complaint_through_the_api_gets_a_tracking_number_and_is_routed(
    client: Any, personas: Any, door_code: Any
) -> None:
    response = _complain(client, door_code.token, photos=[jpeg_with_gps()])
    assert response.status_code == 201, response.content
    body = response.json()
    complaint = Complaint.objects.get()
    assert body["tracking_no"] == complaint.tracking_no and body["status"] == "assigned"
    assert complaint.district == personas.district_a and complaint.phone == "13912345678"
    assert complaint.source == "scan" and complaint.door_code == door_code
    assert complaint.photos.count() == 1
    page = client.get(body["status_url"])
    assert page.status_code == 200 and "占用人行道" in page.content.decode()
    tracked = client.get(f"{COMPLAINTS}/{complaint.tracking_no}")
    assert tracked.json()["status"] == "assigned"


def test_photos_uploaded_through_the_api_lose_their_exif(client: Any, door_code: Any) -> None:
    assert _complain(client, door_code.token, photos=[jpeg_with_gps()]).status_code == 201
    photo = ComplaintPhoto.objects.get()
    display = Image.open(default_storage.open(photo.display.name))
    assert not display.getexif().get(0x8825) and not display.getexif().get(0x0110)
    assert "exif" not in display.info
    original = Image.open(default_storage.open(photo.original.name))
    assert original.getexif().get(0x8825)  # the evidence copy keeps it, never shown publicly


def _gif() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="GIF")
    return SimpleUploadedFile("a.gif", out.getvalue(), content_type="image/gif")


@pytest.mark.parametrize(
    "extra, code",
    [
        ({"category": "nope"}, "bad_category"),
        ({"description": "短"}, "description_short"),
        ({"phone": "12345"}, "bad_phone"),
        ({"description": "老板是个傻逼，太坏了"}, "abusive_text"),
        ({"lat": "33.86"}, "bad_location"),
    ],
)
def test_bad_complaints_are_refused_and_store_nothing(
    client: Any, door_code: Any, extra: dict, code: str
) -> None:
    response = _complain(client, door_code.token, photos=[jpeg_with_gps()], **extra)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not Complaint.objects.exists() and not ComplaintPhoto.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="complaint.").exists()


def test_wrong_photo_types_are_refused(client: Any, door_code: Any) -> None:
    fake = SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    response = _complain(client, door_code.token, photos=[jpeg_with_gps(), fake])
    assert response.status_code == 400 and response.json()["code"] == "photo_not_image"
    assert response.json()["detail"].startswith("第2张")
    response = _complain(client, door_code.token, photos=[_gif()])
    assert response.status_code == 400 and response.json()["code"] == "photo_type"
    assert not Complaint.objects.exists() and not ComplaintPhoto.objects.exists()


def test_a_photo_too_large_is_refused(client: Any, door_code: Any, monkeypatch: Any) -> None:
    from nuanxin.feedback import photos

    monkeypatch.setattr(photos, "MAX_PHOTO_BYTES", 100)
    response = _complain(client, door_code.token, photos=[jpeg_with_gps()])
    assert response.status_code == 400 and response.json()["code"] == "photo_too_large"
    assert not Complaint.objects.exists() and not ComplaintPhoto.objects.exists()


def test_complaints_are_rate_limited_per_ip(client: Any, door_code: Any, monkeypatch: Any) -> None:
    from nuanxin.feedback.services import complaints

    monkeypatch.setattr(complaints, "COMPLAINTS_PER_IP_PER_HOUR", 1)
    assert _complain(client, door_code.token).status_code == 201
    response = _complain(client, door_code.token)
    assert response.status_code == 429 and response.json()["code"] == "rate_limited"
    assert Complaint.objects.count() == 1


def test_the_openapi_document_describes_both_submit_endpoints(client: Any, db: Any) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    rating = paths[RATINGS]["post"]
    assert "application/json" in rating["requestBody"]["content"]
    assert {"201", "400", "404", "409", "410", "429"} <= set(rating["responses"])
    complaint = paths[COMPLAINTS]["post"]
    form = complaint["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert {"token", "category", "description", "phone", "photos"} <= set(form["properties"])
    assert not complaint.get("security")  # public: no login, no token
