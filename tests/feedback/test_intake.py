"""Staff enter complaints received by phone (12345/12319) or in person."""

from __future__ import annotations

from typing import Any

import pytest

from nuanxin.audit.models import AuditEvent
from nuanxin.feedback.models import Complaint, ComplaintPhoto
from tests.feedback.conftest import jpeg_with_gps

pytestmark = pytest.mark.django_db

NEW = "/staff/complaints/new/"
SEARCH = "/staff/complaints/new/merchants"


def _post(client: Any, **fields: Any) -> Any:
    data = {
        "channel": "hotline_12345",
        "category": "street_occupation",
        "description": "来电反映店门口摆满桌椅，占用人行道",
        "contact_name": "李女士",
        "phone": "13912345678",
    } | fields
    return client.post(NEW, {k: v for k, v in data.items() if v is not None})


def test_a_dispatcher_enters_a_hotline_complaint_about_a_merchant(
    client_for: Any, personas: Any
) -> None:
    client = client_for(personas.dispatcher)
    page = client.get(NEW)
    assert page.status_code == 200 and "12319城建服务热线" in page.content.decode()
    found = client.get(SEARCH, {"merchant_q": "老王"})
    assert found.status_code == 200 and "老王烧烤店" in found.content.decode()
    response = _post(client, merchant=personas.merchant_shop.pk)
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/staff/complaints/{complaint.pk}/"
    assert complaint.source == "hotline_12345" and complaint.merchant == personas.merchant_shop
    assert complaint.status == "assigned" and complaint.district == personas.district_a
    assert complaint.stage_deadline is not None and complaint.contact_name == "李女士"
    submit = AuditEvent.objects.get(action="complaint.submit")
    assert submit.actor == personas.dispatcher and submit.after["source"] == "hotline_12345"
    assert complaint.events.get(kind="submit").actor == personas.dispatcher
    detail = client.get(response["Location"]).content.decode()
    assert "12345政务服务热线" in detail and complaint.tracking_no in detail


def test_an_officer_enters_a_walk_in_complaint_at_a_location_with_a_photo(
    client_for: Any, personas: Any
) -> None:
    client = client_for(personas.officer_a)
    response = client.post(
        NEW,
        {
            "channel": "walk_in",
            "category": "waste",
            "description": "群众来访反映路口垃圾堆放多日",
            "address": "人民路与光明路交口",
            "lat": "33.86",
            "lng": "115.74",
            "photos": [jpeg_with_gps()],
        },
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.source == "walk_in" and complaint.merchant is None
    assert complaint.district == personas.district_a and complaint.photos.count() == 1


def test_a_location_outside_every_district_waits_for_the_dispatcher(
    client_for: Any, personas: Any
) -> None:
    response = _post(
        client_for(personas.dispatcher), channel="hotline_12319", lat="31.0", lng="117.0"
    )
    assert response.status_code == 302
    assert Complaint.objects.get().status == "received"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"channel": ""}, "请选择受理渠道"),
        ({"channel": "scan"}, "请检查填写的内容"),
        ({"category": "nope"}, "请检查填写的内容"),
        ({"description": "短"}, "请检查填写的内容"),
        ({"phone": "12345"}, "回访电话应为11位手机号码"),
        ({"description": "老板是个傻逼，太坏了"}, "不文明用语"),
        ({"lat": "33.86"}, "位置需同时提供纬度和经度"),
        ({"lat": "abc", "lng": "115.7"}, "请检查填写的内容"),
        ({}, "请提供问题位置"),  # no merchant, no coordinates, no address
        ({"merchant": "999999"}, "所选商户不存在"),
    ],
)
def test_bad_input_shows_a_chinese_error_and_stores_nothing(
    client_for: Any, personas: Any, fields: dict, message: str
) -> None:
    response = _post(client_for(personas.dispatcher), **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Complaint.objects.exists() and not ComplaintPhoto.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="complaint.").exists()


def test_a_bad_photo_stores_nothing(client_for: Any, personas: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    client = client_for(personas.dispatcher)
    response = client.post(
        NEW,
        {
            "channel": "hotline_12345",
            "category": "waste",
            "description": "来电反映乱倒垃圾",
            "merchant": personas.merchant_shop.pk,
            "photos": [jpeg_with_gps(), fake],
        },
    )
    assert response.status_code == 400 and "第2张" in response.content.decode()
    assert not Complaint.objects.exists() and not ComplaintPhoto.objects.exists()


def test_an_officer_of_another_district_cannot_enter_for_district_a(
    client_for: Any, personas: Any
) -> None:
    client = client_for(personas.officer_b)
    assert "老王烧烤店" not in client.get(SEARCH, {"merchant_q": "老王"}).content.decode()
    response = _post(client, merchant=personas.merchant_shop.pk)
    assert response.status_code == 400 and "不在您的辖区内" in response.content.decode()
    response = _post(client, channel="walk_in", lat="33.87", lng="115.75")
    assert response.status_code == 403 and "该位置不在您的辖区内" in response.content.decode()
    assert not Complaint.objects.exists()


def test_staff_entries_are_not_held_to_the_public_rate_limit(
    client_for: Any, personas: Any, monkeypatch: Any
) -> None:
    from nuanxin.feedback.services import complaints

    monkeypatch.setattr(complaints, "COMPLAINTS_PER_IP_PER_HOUR", 1)
    client = client_for(personas.dispatcher)
    for _n in range(3):
        assert _post(client, merchant=personas.merchant_shop.pk).status_code == 302
    assert Complaint.objects.count() == 3


@pytest.mark.parametrize("url", [NEW, SEARCH + "?merchant_q=老王"])
def test_the_wrong_persona_is_refused(
    client: Any, client_for: Any, personas: Any, url: str
) -> None:
    assert client.get(url).status_code == 302  # anonymous: to the login page
    for who in ("merchant", "outsider", "operator_admin", "reviewer", "analyst"):
        assert client_for(getattr(personas, who)).get(url).status_code == 403, who
    for who in ("dispatcher", "officer_a", "chief", "admin"):
        assert client_for(getattr(personas, who)).get(url).status_code == 200, who


def test_refused_personas_cannot_post_either(client_for: Any, personas: Any) -> None:
    for who in ("merchant", "outsider", "analyst"):
        response = _post(client_for(getattr(personas, who)), merchant=personas.merchant_shop.pk)
        assert response.status_code == 403
    assert not Complaint.objects.exists()


def test_the_list_links_to_the_entry_page_for_intake_roles_only(
    client_for: Any, personas: Any
) -> None:
    assert (
        'id="intake-link"'
        in client_for(personas.dispatcher).get("/staff/complaints/").content.decode()
    )
    assert (
        'id="intake-link"'
        not in client_for(personas.analyst).get("/staff/complaints/").content.decode()
    )


def _awaiting_feedback(personas: Any) -> Complaint:
    from nuanxin.feedback.services import complaints as svc
    from nuanxin.feedback.services.intake import complaint_register

    complaint = complaint_register(
        by=personas.dispatcher,
        channel="hotline_12319",
        category="street_occupation",
        description="来电反映店门口摆满桌椅",
        merchant=personas.merchant_shop,
        phone="13912345678",
    )
    svc.complaint_take_over(complaint=complaint, by=personas.officer_a)
    svc.complaint_resolve(
        complaint=complaint, by=personas.officer_a, resolution="已责令收回", substantiated=True
    )
    complaint.refresh_from_db()
    assert complaint.status == "awaiting_feedback"
    return complaint


def test_staff_record_a_phone_complainants_verdict_on_call_back(
    client_for: Any, personas: Any
) -> None:
    complaint = _awaiting_feedback(personas)
    client = client_for(personas.dispatcher)
    assert 'id="callback-form"' in client.get(f"/staff/complaints/{complaint.pk}/").content.decode()
    response = client.post(
        f"/staff/complaints/{complaint.pk}/callback", {"satisfied": "0", "note": "桌椅还在"}
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == "officer_handling" and complaint.reopen_count == 1
    assert complaint.feedback == "unsatisfied"
    row = AuditEvent.objects.get(action="complaint.feedback_unsatisfied")
    assert row.actor == personas.dispatcher
    assert "电话回访" in complaint.events.get(kind="feedback_unsatisfied").note


@pytest.mark.parametrize(
    "who, status", [("merchant", 403), ("outsider", 403), ("analyst", 403), ("officer_b", 404)]
)
def test_call_back_verdicts_refuse_the_wrong_persona(
    client_for: Any, personas: Any, who: str, status: int
) -> None:
    complaint = _awaiting_feedback(personas)
    response = client_for(getattr(personas, who)).post(
        f"/staff/complaints/{complaint.pk}/callback", {"satisfied": "1"}
    )
    assert response.status_code == status
    complaint.refresh_from_db()
    assert complaint.status == "awaiting_feedback" and complaint.feedback == ""
