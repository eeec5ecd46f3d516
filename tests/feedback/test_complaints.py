from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from nuanxin.core.errors import Conflict, DomainError
from nuanxin.feedback.models import Complaint, ComplaintPhoto
from nuanxin.feedback.services import complaints as svc
from tests.feedback.conftest import jpeg_with_gps

pytestmark = pytest.mark.django_db


def test_a_complaint_is_tracked_and_assigned_to_the_district_by_location(
    complaint: Any, personas: Any
) -> None:
    assert complaint.tracking_no.startswith("TS" + timezone.localdate().strftime("%Y%m%d"))
    assert len(complaint.tracking_no) == 14
    assert complaint.status == "assigned"
    assert complaint.district == personas.district_a
    assert complaint.stage_deadline is not None
    kinds = list(complaint.events.values_list("kind", flat=True))
    assert kinds == ["submit", "assign"]


def test_a_location_outside_every_district_waits_for_the_dispatcher(personas: Any) -> None:
    c = svc.complaint_submit(
        category="waste", description="路边垃圾堆放多日", source="open311", lat=31.0, lng=117.0
    )
    assert c.status == "received" and c.district is None


def test_photos_keep_the_original_and_strip_exif_for_display(complaint: Any) -> None:
    photo = ComplaintPhoto.objects.get(complaint=complaint)
    original = default_storage.open(photo.original.name).read()
    assert Image.open(io.BytesIO(original)).getexif().get(0x8825)  # GPS kept as evidence
    display = Image.open(default_storage.open(photo.display.name))
    exif = display.getexif()
    assert not exif.get(0x8825) and not exif.get(0x0110)
    assert "exif" not in display.info
    assert photo.original_type == "image/jpeg" and len(photo.original_sha256) == 64


def test_a_non_image_pretending_to_be_a_jpeg_is_refused_and_nothing_is_stored(
    personas: Any,
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    with pytest.raises(DomainError) as err:
        svc.complaint_submit(
            category="waste",
            description="乱倒垃圾很严重",
            source="scan",
            merchant=personas.merchant_shop,
            photos=[jpeg_with_gps(), fake],
        )
    assert err.value.code == "photo_not_image"
    assert not Complaint.objects.exists() and not ComplaintPhoto.objects.exists()


def test_a_gif_is_refused(personas: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="GIF")
    with pytest.raises(DomainError) as err:
        svc.complaint_submit(
            category="waste",
            description="乱倒垃圾很严重",
            source="scan",
            merchant=personas.merchant_shop,
            photos=[SimpleUploadedFile("a.gif", out.getvalue())],
        )
    assert err.value.code == "photo_type"


def test_too_many_or_too_large_photos_are_refused(personas: Any, monkeypatch: Any) -> None:
    from nuanxin.feedback import photos

    with pytest.raises(DomainError) as err:
        svc.complaint_submit(
            category="waste",
            description="乱倒垃圾很严重",
            source="scan",
            merchant=personas.merchant_shop,
            photos=[jpeg_with_gps() for _ in range(photos.MAX_PHOTOS + 1)],
        )
    assert err.value.code == "too_many_photos"
    monkeypatch.setattr(photos, "MAX_PHOTO_BYTES", 100)
    with pytest.raises(DomainError) as err:
        svc.complaint_submit(
            category="waste",
            description="乱倒垃圾很严重",
            source="scan",
            merchant=personas.merchant_shop,
            photos=[jpeg_with_gps()],
        )
    assert err.value.code == "photo_too_large"


@pytest.mark.parametrize(
    "kw, code",
    [
        ({"category": "nope"}, "bad_category"),
        ({"description": "短"}, "description_short"),
        ({"phone": "12345"}, "bad_phone"),
        ({"description": "老板是个傻逼"}, "abusive_text"),
    ],
)
def test_bad_input_is_refused(personas: Any, kw: dict, code: str) -> None:
    args = {
        "category": "waste",
        "description": "乱倒垃圾很严重",
        "source": "scan",
        "merchant": personas.merchant_shop,
    }
    args.update(kw)
    with pytest.raises(DomainError) as err:
        svc.complaint_submit(**args)
    assert err.value.code == code


def test_the_full_workflow_with_merchant_reply_feeds_credit(complaint: Any, personas: Any) -> None:
    from nuanxin.credit.models import CreditEvent

    officer = personas.officer_a
    svc.complaint_claim(complaint=complaint, by=officer)
    svc.complaint_notify_merchant(complaint=complaint, by=officer)
    complaint.refresh_from_db()
    assert complaint.status == "merchant_notified"
    svc.complaint_merchant_reply(
        complaint=complaint, by=personas.merchant, reply="已收回桌椅，请监督"
    )
    svc.complaint_resolve(
        complaint=complaint, by=officer, resolution="复查已整改到位", substantiated=True
    )
    complaint.refresh_from_db()
    assert complaint.status == "awaiting_feedback"
    ev = CreditEvent.objects.get(kind="complaint_substantiated")
    assert ev.merchant_id == personas.merchant_shop.pk and ev.source_id == str(complaint.pk)
    svc.complaint_feedback(complaint=complaint, satisfied=True)
    complaint.refresh_from_db()
    assert complaint.status == "closed" and complaint.closed_at is not None


def test_unsatisfied_feedback_reopens(complaint: Any, personas: Any) -> None:
    svc.complaint_take_over(complaint=complaint, by=personas.officer_a)
    svc.complaint_resolve(
        complaint=complaint, by=personas.officer_a, resolution="已口头提醒商户", substantiated=False
    )
    svc.complaint_feedback(complaint=complaint, satisfied=False, note="桌椅还在")
    complaint.refresh_from_db()
    assert complaint.status == "officer_handling" and complaint.reopen_count == 1
    assert complaint.handler == personas.officer_a


def test_illegal_transitions_are_refused(complaint: Any, personas: Any) -> None:
    with pytest.raises(Conflict):
        svc.complaint_resolve(
            complaint=complaint,
            by=personas.officer_a,
            resolution="直接办结了事",
            substantiated=False,
        )
    with pytest.raises(Conflict):
        svc.complaint_feedback(complaint=complaint, satisfied=True)
    assert complaint.can_transition_to("officer_handling")
    assert not complaint.can_transition_to("closed") or complaint.status in ("received", "assigned")


def test_an_officer_of_another_district_cannot_claim(complaint: Any, personas: Any) -> None:
    from nuanxin.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        svc.complaint_claim(complaint=complaint, by=personas.officer_b)


def test_overdue_job_flags_late_stages_and_closes_silent_feedback(
    complaint: Any, personas: Any
) -> None:
    from nuanxin.core.jobs import registered_jobs

    job = {j.name: j for j in registered_jobs()}["feedback.complaints_overdue"]
    later = timezone.now() + dt.timedelta(hours=25)
    assert job.func(later) == 1
    complaint.refresh_from_db()
    assert complaint.overdue and complaint.status == "assigned"
    assert job.func(later) == 0  # claimed once only
    svc.complaint_take_over(complaint=complaint, by=personas.officer_a)
    complaint.refresh_from_db()
    assert not complaint.overdue  # a new stage starts a new clock
    svc.complaint_resolve(
        complaint=complaint, by=personas.officer_a, resolution="现场核查已处理", substantiated=True
    )
    assert job.func(timezone.now() + dt.timedelta(days=8)) == 1
    complaint.refresh_from_db()
    assert complaint.status == "closed"
    # The complainant may still say "not satisfied" within 7 days; it reopens.
    svc.complaint_feedback(complaint=complaint, satisfied=False)
    complaint.refresh_from_db()
    assert complaint.status == "officer_handling"


def test_every_step_is_audited(complaint: Any, personas: Any) -> None:
    from nuanxin.audit.models import AuditEvent

    svc.complaint_take_over(complaint=complaint, by=personas.officer_a)
    actions = set(
        AuditEvent.objects.filter(
            object_id=str(complaint.pk), object_type="feedback.complaint"
        ).values_list("action", flat=True)
    )
    assert {"complaint.submit", "complaint.assign", "complaint.officer_handle"} <= actions


def test_timeline_lists_ratings_and_complaints(complaint: Any, personas: Any) -> None:
    from nuanxin.feedback.services.ratings import rating_submit
    from nuanxin.feedback.timeline import timeline_entries

    rating_submit(
        merchant=personas.merchant_shop,
        door_code=None,
        stars=5,
        tags=[],
        text="",
        device_key="d:1",
        ip=None,
    )
    entries = timeline_entries(merchant=personas.merchant_shop)
    kinds = sorted(e.kind for e in entries)
    assert kinds == ["complaint", "rating"]
    assert next(e for e in entries if e.kind == "complaint").public is False
