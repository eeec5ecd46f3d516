"""Operators are isolated from each other, in the API and in the portal."""

from __future__ import annotations

import pytest

from nuanxin.accounts.models import ApiToken
from nuanxin.notices.models import Notice
from tests.notices.test_loop import violate


def token_for(operator) -> str:
    raw = f"nx-test-{operator.code}-secret-0123456789"
    ApiToken.objects.create(
        name=operator.code,
        kind="operator",
        operator=operator,
        prefix=raw[:8],
        key_hash=ApiToken.hash_secret(raw),
    )
    return raw


@pytest.fixture
def two_notices(city):
    violate(city.bike)
    violate(city.other_bike)
    return Notice.objects.get(bike=city.bike), Notice.objects.get(bike=city.other_bike)


def test_operator_token_lists_only_its_own_notices(client, personas, two_notices):
    mine, theirs = two_notices
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for(personas.operator)}"}
    data = client.get("/api/v1/operator/notices", **auth).json()
    assert [n["number"] for n in data] == [mine.number]
    assert data[0]["associated_ticket"] == mine.number
    assert data[0]["explanation"]["rule"] == "beyond_error"
    assert data[0]["dispatch"]["route_method"] == "manhattan_estimate"
    assert client.get(f"/api/v1/operator/notices/{theirs.number}", **auth).status_code == 404
    assert client.get(f"/api/v1/operator/notices/{mine.number}", **auth).status_code == 200


def test_the_notice_list_filters_and_refuses_unknown_filter_values(client, personas, two_notices):
    mine, _theirs = two_notices
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for(personas.operator)}"}
    url = "/api/v1/operator/notices"
    assert [n["number"] for n in client.get(f"{url}?status=open", **auth).json()] == [mine.number]
    assert client.get(f"{url}?status=fixed&kind=violation", **auth).json() == []
    for query in ("status=bogus", "kind=bogus"):
        refused = client.get(f"{url}?{query}", **auth)
        assert refused.status_code == 422, query
        assert refused.json()["code"] == "invalid_input"
        assert query.split("=")[0] in refused.json()["detail"]
    listed = client.get(url, **auth).json()[0]
    assert listed["fix_reason"] == "" and listed["fix_reason_label"] == ""


def test_compliance_api_shows_own_explanations_only(client, personas, two_notices):
    mine, theirs = two_notices
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for(personas.other_operator)}"}
    data = client.get("/api/v1/compliance/checks", **auth).json()
    assert {c["plate"] for c in data} == {theirs.bike.plate}
    assert data[0]["explanation"]["nearest_spot"] == "S1"
    assert client.get(f"/api/v1/compliance/checks/{mine.check_ref_id}", **auth).status_code == 404
    ok = client.get(f"/api/v1/compliance/checks/{theirs.check_ref_id}", **auth)
    assert ok.status_code == 200 and ok.json()["explanation"]["distance_m"] > 1


def test_api_without_token_is_refused(client, two_notices):
    assert client.get("/api/v1/operator/notices").status_code == 401
    assert client.get("/api/v1/compliance/checks").status_code == 401


def test_staff_session_sees_all(client_for, personas, two_notices):
    data = client_for(personas.dispatcher).get("/api/v1/operator/notices").json()
    assert len(data) == 2


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("operator_admin", 200),
        ("other_operator_admin", 200),
        ("officer_a", 403),
        ("merchant", 403),
        ("outsider", 403),
    ],
)
def test_portal_home_is_for_operator_people(client_for, personas, two_notices, persona, status):
    mine, theirs = two_notices
    response = client_for(getattr(personas, persona)).get("/operator/")
    assert response.status_code == status
    if persona == "operator_admin":
        body = response.content.decode()
        assert mine.number in body and theirs.number not in body


def test_portal_notice_of_another_operator_is_not_found(client_for, personas, two_notices):
    mine, theirs = two_notices
    client = client_for(personas.operator_admin)
    assert client.get(f"/operator/notices/{mine.number}/").status_code == 200
    assert client.get(f"/operator/notices/{theirs.number}/").status_code == 404
    assert client.post(f"/operator/notices/{theirs.number}/report").status_code == 404


def test_maintenance_worker_reports_a_fix_with_a_photo(
    client_for, city, two_notices, settings, tmp_path
):
    import io

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    mine, _ = two_notices
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buf, "JPEG")
    photo = SimpleUploadedFile("fix.jpg", buf.getvalue(), content_type="image/jpeg")
    client = client_for(city.worker.user)
    response = client.post(f"/operator/notices/{mine.number}/report", {"photo": photo})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.fix_reported_at is not None and mine.fix_photo.name.endswith(".jpg")
    assert mine.status == "open"  # closes only on evidence


def test_report_refuses_a_non_image(client_for, city, two_notices):
    from django.core.files.uploadedfile import SimpleUploadedFile

    mine, _ = two_notices
    client = client_for(city.worker.user)
    bad = SimpleUploadedFile("x.txt", b"hello", content_type="text/plain")
    response = client.post(f"/operator/notices/{mine.number}/report", {"photo": bad}, follow=True)
    assert "请上传图片文件" in response.content.decode()
    mine.refresh_from_db()
    assert mine.fix_reported_at is None
