"""Staff, portal and public complaint pages: outcomes and the wrong persona refused."""

from __future__ import annotations

from typing import Any

import pytest

from nuanxin.feedback.models import Complaint
from nuanxin.feedback.services import complaints as svc
from tests.feedback.conftest import jpeg_with_gps

pytestmark = pytest.mark.django_db

STAFF_OK = ["officer_a", "officer_a2", "chief", "dispatcher", "analyst", "reviewer", "admin"]


@pytest.mark.parametrize("url", ["/staff/complaints/", "/staff/complaints/overdue/"])
def test_staff_lists_refuse_non_staff(
    client: Any, client_for: Any, personas: Any, complaint: Any, url: str
) -> None:
    assert client.get(url).status_code == 302
    for who in ("merchant", "outsider", "operator_admin"):
        assert client_for(getattr(personas, who)).get(url).status_code == 403
    for who in STAFF_OK:
        assert client_for(getattr(personas, who)).get(url).status_code == 200


def test_officers_list_only_their_district(client_for: Any, personas: Any, complaint: Any) -> None:
    assert (
        complaint.tracking_no
        in client_for(personas.officer_a).get("/staff/complaints/").content.decode()
    )
    assert (
        complaint.tracking_no
        not in client_for(personas.officer_b).get("/staff/complaints/").content.decode()
    )
    assert (
        complaint.tracking_no
        in client_for(personas.dispatcher).get("/staff/complaints/").content.decode()
    )


@pytest.mark.parametrize(
    "who, status",
    [
        ("officer_a", 200),
        ("chief", 200),
        ("dispatcher", 200),
        ("officer_b", 404),
        ("merchant", 403),
        ("outsider", 403),
    ],
)
def test_detail_scope(
    client_for: Any, personas: Any, complaint: Any, who: str, status: int
) -> None:
    assert (
        client_for(getattr(personas, who)).get(f"/staff/complaints/{complaint.pk}/").status_code
        == status
    )


@pytest.mark.parametrize("variant", ["display", "original"])
@pytest.mark.parametrize(
    "who, status", [("officer_a", 200), ("officer_b", 404), ("merchant", 403), ("outsider", 403)]
)
def test_staff_photo_scope(
    client_for: Any, personas: Any, complaint: Any, variant: str, who: str, status: int
) -> None:
    photo = complaint.photos.get()
    url = f"/staff/complaints/{complaint.pk}/photo/{photo.pk}/{variant}"
    assert client_for(getattr(personas, who)).get(url).status_code == status


def test_phone_is_masked_except_for_the_handling_officer(
    client_for: Any, personas: Any, complaint: Any
) -> None:
    html = client_for(personas.officer_a).get(f"/staff/complaints/{complaint.pk}/").content.decode()
    assert "13912345678" not in html and "139****5678" in html
    svc.complaint_claim(complaint=complaint, by=personas.officer_a)
    assert (
        "13912345678"
        in client_for(personas.officer_a).get(f"/staff/complaints/{complaint.pk}/").content.decode()
    )
    assert (
        "13912345678"
        not in client_for(personas.officer_a2)
        .get(f"/staff/complaints/{complaint.pk}/")
        .content.decode()
    )
    assert (
        "13912345678"
        not in client_for(personas.chief).get(f"/staff/complaints/{complaint.pk}/").content.decode()
    )


@pytest.mark.parametrize(
    "who, action, data, status, to",
    [
        ("officer_a", "notify", {}, 302, "merchant_notified"),
        ("officer_a", "handle", {}, 302, "officer_handling"),
        ("officer_b", "handle", {}, 404, "assigned"),
        ("dispatcher", "handle", {}, 403, "assigned"),
        ("merchant", "handle", {}, 403, "assigned"),
        ("outsider", "notify", {}, 403, "assigned"),
        ("dispatcher", "assign", {"district": "B"}, 302, "assigned"),
        ("officer_a", "assign", {"district": "B"}, 403, "assigned"),
        ("officer_a", "dismiss", {"reason": "重复投诉"}, 302, "closed"),
        ("officer_b", "dismiss", {"reason": "重复投诉"}, 404, "assigned"),
    ],
)
def test_staff_actions_scope(
    client_for: Any,
    personas: Any,
    complaint: Any,
    who: str,
    action: str,
    data: dict,
    status: int,
    to: str,
) -> None:
    if data.get("district") == "B":
        data = {"district": str(personas.district_b.pk)}
    response = client_for(getattr(personas, who)).post(
        f"/staff/complaints/{complaint.pk}/{action}", data
    )
    assert response.status_code == status
    complaint.refresh_from_db()
    assert complaint.status == to
    if action == "assign" and status == 302:
        assert complaint.district == personas.district_b


def test_resolve_through_the_page(client_for: Any, personas: Any, complaint: Any) -> None:
    c = client_for(personas.officer_a)
    c.post(f"/staff/complaints/{complaint.pk}/handle", {"note": "现场核查"})
    c.post(
        f"/staff/complaints/{complaint.pk}/resolve",
        {"resolution": "已责令收回桌椅", "substantiated": "1"},
    )
    complaint.refresh_from_db()
    assert complaint.status == "awaiting_feedback" and complaint.substantiated is True


def test_overdue_board_is_city_wide_for_the_dispatcher(
    client_for: Any, personas: Any, complaint: Any
) -> None:
    Complaint.objects.filter(pk=complaint.pk).update(overdue=True)
    assert (
        complaint.tracking_no
        in client_for(personas.dispatcher).get("/staff/complaints/overdue/").content.decode()
    )
    assert (
        complaint.tracking_no
        in client_for(personas.officer_a).get("/staff/complaints/overdue/").content.decode()
    )
    assert (
        complaint.tracking_no
        not in client_for(personas.officer_b).get("/staff/complaints/overdue/").content.decode()
    )


def test_merchant_portal_lists_and_replies(client_for: Any, personas: Any, complaint: Any) -> None:
    portal = client_for(personas.merchant)
    assert (
        complaint.tracking_no not in portal.get("/portal/complaints/").content.decode()
    )  # not yet notified
    assert portal.get(f"/portal/complaints/{complaint.pk}/").status_code == 404
    svc.complaint_notify_merchant(complaint=complaint, by=personas.officer_a)
    html = portal.get("/portal/complaints/").content.decode()
    assert complaint.tracking_no in html
    detail = portal.get(f"/portal/complaints/{complaint.pk}/").content.decode()
    assert "13912345678" not in detail and "139****5678" not in detail  # the merchant never sees it
    photo = complaint.photos.get()
    assert portal.get(f"/portal/complaints/{complaint.pk}/photo/{photo.pk}").status_code == 200
    response = portal.post(f"/portal/complaints/{complaint.pk}/", {"reply": "已收回桌椅，欢迎监督"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == "merchant_replied"


@pytest.mark.parametrize(
    "who, status", [("officer_a", 403), ("chief", 403), ("outsider", 403), ("operator_admin", 403)]
)
def test_portal_refuses_non_merchants(
    client_for: Any, personas: Any, complaint: Any, who: str, status: int
) -> None:
    svc.complaint_notify_merchant(complaint=complaint, by=personas.officer_a)
    c = client_for(getattr(personas, who))
    assert c.get("/portal/complaints/").status_code == status
    assert c.get(f"/portal/complaints/{complaint.pk}/").status_code == status


def test_portal_refuses_another_merchants_complaint(
    client_for: Any, personas: Any, complaint: Any
) -> None:
    from nuanxin.accounts.models import User

    svc.complaint_notify_merchant(complaint=complaint, by=personas.officer_a)
    other = User.objects.create(username="other_merchant", role="merchant")
    c = client_for(other)
    assert c.get(f"/portal/complaints/{complaint.pk}/").status_code == 404
    assert (
        c.post(f"/portal/complaints/{complaint.pk}/", {"reply": "不是我家的店铺"}).status_code
        == 404
    )


def test_public_complaint_page_flow(client: Any, personas: Any, door_code: Any) -> None:
    url = f"/q/{door_code.token}/complain"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "category": "fumes_noise",
            "description": "油烟直排到居民楼",
            "phone": "13912345678",
            "photos": [jpeg_with_gps()],
        },
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert response["Location"].startswith(f"/c/{complaint.tracking_no}?k=")
    page = client.get(response["Location"])
    html = page.content.decode()
    assert complaint.tracking_no in html and "已分派" in html
    assert "13912345678" not in html
    photo = complaint.photos.get()
    assert client.get(f"/c/{complaint.tracking_no}/photo/{photo.pk}").status_code == 200  # cookie
    client.cookies.clear()
    stranger = client.get(f"/c/{complaint.tracking_no}").content.decode()
    assert "油烟直排到居民楼" not in stranger and "已分派" in stranger
    assert client.get(f"/c/{complaint.tracking_no}/photo/{photo.pk}").status_code == 404


def test_public_complaint_form_errors_are_specific(
    client: Any, personas: Any, door_code: Any
) -> None:
    response = client.post(
        f"/q/{door_code.token}/complain",
        {"category": "fumes_noise", "description": "油烟直排到楼上", "phone": "123"},
    )
    assert response.status_code == 400
    assert "手机号" in response.content.decode()
    assert not Complaint.objects.exists()


def test_only_the_complainant_gives_feedback(client: Any, personas: Any, complaint: Any) -> None:
    from nuanxin.feedback.views_public import complainant_key

    svc.complaint_take_over(complaint=complaint, by=personas.officer_a)
    svc.complaint_resolve(
        complaint=complaint, by=personas.officer_a, resolution="已责令整改完毕", substantiated=True
    )
    url = f"/c/{complaint.tracking_no}/feedback"
    assert client.post(url, {"k": "guess", "satisfied": "1"}).status_code == 403
    response = client.post(
        url, {"k": complainant_key(complaint.tracking_no), "satisfied": "0", "note": "还在摆"}
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == "officer_handling" and complaint.feedback == "unsatisfied"


def test_tracking_lookup(client: Any, personas: Any, complaint: Any) -> None:
    assert client.get("/c/").status_code == 200
    assert client.get(f"/c/?no={complaint.tracking_no.lower()}").status_code == 302
    assert client.get("/c/?no=TS000").status_code == 404
    assert client.get("/c/TS000").status_code == 404
