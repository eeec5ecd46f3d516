from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from nuanxin.audit.models import AuditEvent
from nuanxin.core.errors import DomainError, NotAllowed
from nuanxin.laws.selectors import tag_get
from nuanxin.violations.models import Education, Slip, Violation, Warning
from nuanxin.violations.services import party_create, party_for_merchant, violation_record

IN_A = {"lat": 33.87, "lng": 115.75}  # inside district A (QC-N)
IN_B = {"lat": 33.82, "lng": 115.75}  # inside district B (QC-S)


def record(
    personas: Any, party: Any, when: dt.datetime, code: str = "open_air_bbq", **kw: Any
) -> Violation:
    args: dict[str, Any] = {
        "party": party, "tag": tag_get(code), "occurred_at": when, "place": "人民路18号门前",
        "source": "field", "by": personas.officer_a, "facts": {"corrected_promptly": True},
        **IN_A,
    }  # fmt: skip
    args.update(kw)
    return violation_record(**args)


@pytest.fixture
def shop_party(personas: Any, catalogue: Any) -> Any:
    return party_for_merchant(merchant=personas.merchant_shop, by=personas.officer_a)


def test_first_offence_is_education_with_a_slip_and_a_readable_reason(
    personas: Any, shop_party: Any
) -> None:
    v = record(personas, shop_party, timezone.now() - dt.timedelta(hours=1))
    assert v.outcome == "education"
    assert v.prior_count == 0
    assert Education.objects.filter(violation=v).exists()
    assert "12个月内首次违法" in v.reason
    assert "《中华人民共和国行政处罚法》第三十三条" in v.reason
    assert "初次违法且危害后果轻微并及时改正的，可以不予行政处罚" in v.reason
    assert v.catalogue_version == "2026.1"
    assert v.discretion["level"] == "none"
    slip = Slip.objects.get(violation=v)
    assert slip.number == f"亳城管温提〔{timezone.localtime().year}〕第000001号"
    assert AuditEvent.objects.filter(action="violation.record", object_id=str(v.pk)).exists()
    # The merchant's credit record got an education event.
    from nuanxin.credit.models import CreditEvent

    assert (
        CreditEvent.objects.filter(merchant=personas.merchant_shop, kind="education").count() == 1
    )


def test_second_offence_in_window_is_a_warning_with_a_deadline(
    personas: Any, shop_party: Any
) -> None:
    now = timezone.now()
    record(personas, shop_party, now - dt.timedelta(days=200))
    v = record(personas, shop_party, now - dt.timedelta(hours=1), code="open_air_bbq")
    assert v.outcome == "warning"
    assert v.prior_count == 1
    w = Warning.objects.get(violation=v)
    assert w.deadline == timezone.localtime(v.occurred_at).date() + dt.timedelta(
        days=v.tag.correction_days
    )
    assert "第二次违法" in v.reason and "告诫" in v.reason
    # No signing keys in this test: the warning is kept, the notice waits with its reason.
    assert w.notice_status == "pending"
    assert "签名密钥" in w.notice_error
    assert v.slip.content["deadline"]


def test_third_offence_in_window_proposes_a_case(personas: Any, shop_party: Any) -> None:
    now = timezone.now()
    record(personas, shop_party, now - dt.timedelta(days=300))
    record(personas, shop_party, now - dt.timedelta(days=100))
    v = record(personas, shop_party, now - dt.timedelta(hours=1))
    assert v.outcome == "propose_case"
    assert v.prior_count == 2
    assert "第3次违法" in v.reason
    assert "《中华人民共和国大气污染防治法》第一百一十八条" in v.reason
    assert v.discretion["level"] == "heavier"
    assert not Slip.objects.filter(violation=v).exists()


def test_offences_outside_the_window_do_not_count(personas: Any, shop_party: Any) -> None:
    now = timezone.now()
    record(personas, shop_party, now - dt.timedelta(days=500))
    record(personas, shop_party, now - dt.timedelta(days=400))
    v = record(personas, shop_party, now - dt.timedelta(hours=1))
    assert v.prior_count == 0
    assert v.outcome == "education"


def test_the_window_edge_is_twelve_calendar_months(personas: Any, shop_party: Any) -> None:
    when = timezone.now() - dt.timedelta(hours=5)
    from nuanxin.violations.ladder import months_before

    record(personas, shop_party, months_before(when, 12) - dt.timedelta(minutes=1))
    assert record(personas, shop_party, when).outcome == "education"
    record(
        personas,
        shop_party,
        months_before(when, 12) + dt.timedelta(minutes=1) + dt.timedelta(days=1),
    )
    # The later record sees the one just inside its window.
    v = record(personas, shop_party, when + dt.timedelta(hours=2))
    assert v.prior_count == 2


def test_other_behaviours_do_not_count(personas: Any, shop_party: Any) -> None:
    now = timezone.now()
    record(personas, shop_party, now - dt.timedelta(days=10), code="outside_shop_trading")
    v = record(personas, shop_party, now - dt.timedelta(hours=1))
    assert v.outcome == "education"


def test_a_tag_without_leniency_proposes_a_case_at_once(personas: Any, catalogue: Any) -> None:
    site = party_create(
        kind="organisation", name="某建筑公司", id_number="91341600MA2N0X1234", by=None
    )
    v = record(personas, site, timezone.now() - dt.timedelta(hours=1), code="construction_dust")
    assert v.outcome == "propose_case"
    assert "不适用首违不罚" in v.reason
    assert "第一百一十五条" in v.reason


def test_serious_harm_on_a_first_offence_proposes_a_case(personas: Any, shop_party: Any) -> None:
    v = record(
        personas, shop_party, timezone.now() - dt.timedelta(hours=1), facts={"harm": "serious"}
    )
    assert v.outcome == "propose_case"
    assert "严重危害后果" in v.reason


def test_an_officer_cannot_record_in_another_district(personas: Any, shop_party: Any) -> None:
    with pytest.raises(NotAllowed):
        record(personas, shop_party, timezone.now(), by=personas.officer_b)
    with pytest.raises(NotAllowed):
        record(personas, shop_party, timezone.now(), **IN_B)
    with pytest.raises(NotAllowed):
        record(personas, shop_party, timezone.now(), by=personas.merchant)
    assert Violation.objects.count() == 0


def test_off_site_recording_needs_a_reference(personas: Any, shop_party: Any) -> None:
    with pytest.raises(DomainError) as exc:
        record(personas, shop_party, timezone.now(), source="camera", by=personas.dispatcher)
    assert exc.value.code == "source_ref_required"
    v = record(
        personas, shop_party, timezone.now(), source="camera", source_ref="CAM-0042-20261128-001",
        evidence_refs=["sha256:" + "a" * 64], by=personas.dispatcher,
    )  # fmt: skip
    assert v.source == "camera" and v.evidence_refs == ["sha256:" + "a" * 64]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"place": " "}, "place_required"),
        ({"occurred_at": timezone.now() + dt.timedelta(days=1)}, "future_time"),
        ({"occurred_at": timezone.now() - dt.timedelta(days=800)}, "time_barred"),
        ({"lat": 10.0, "lng": 10.0}, "outside_city"),
        ({"source": "rumour"}, "source_invalid"),
        ({"facts": {"harm": "apocalyptic"}}, "facts_invalid"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    personas: Any, shop_party: Any, change: dict[str, Any], code: str
) -> None:
    args = {"occurred_at": timezone.now() - dt.timedelta(hours=1), **change}
    when = args.pop("occurred_at")
    with pytest.raises(DomainError) as exc:
        record(personas, shop_party, when, **args)
    assert exc.value.code == code
    assert Violation.objects.count() == 0
    assert Slip.objects.count() == 0


def test_a_tag_for_organisations_refuses_a_person(personas: Any, catalogue: Any) -> None:
    person = party_create(kind="person", name="张三", by=None)
    with pytest.raises(DomainError) as exc:
        record(personas, person, timezone.now(), code="shared_bike_parking")
    assert exc.value.code == "tag_party_kind"


def test_slip_numbers_are_gap_free(personas: Any, catalogue: Any) -> None:
    now = timezone.now() - dt.timedelta(hours=1)
    for i in range(3):
        p = party_create(kind="person", name=f"摊主{i}", by=None)
        record(personas, p, now, code="mobile_vending")
    serials = sorted(Slip.objects.values_list("serial", flat=True))
    assert serials == [1, 2, 3]


def test_the_same_event_is_not_recorded_twice(personas: Any, shop_party: Any) -> None:
    when = timezone.now() - dt.timedelta(hours=1)
    first = record(personas, shop_party, when)
    from nuanxin.core.errors import Conflict

    with pytest.raises(Conflict) as exc:
        record(personas, shop_party, when + dt.timedelta(minutes=10), by=personas.officer_a2)
    assert exc.value.code == "duplicate_violation"
    assert exc.value.details["violation_id"] == first.pk
    assert Violation.objects.count() == 1


def test_a_complaint_must_be_substantiated(personas: Any, shop_party: Any) -> None:
    from nuanxin.feedback.models import Complaint

    complaint = Complaint.objects.create(
        tracking_no="TS202611280001", source="scan", merchant=personas.merchant_shop,
        category="露天烧烤", description="门前烧烤烟大", district=personas.district_a,
    )  # fmt: skip
    when = timezone.now() - dt.timedelta(hours=1)
    for ref, code in [
        ("NOPE", "complaint_unknown"),
        (complaint.tracking_no, "complaint_not_substantiated"),
    ]:
        with pytest.raises(DomainError) as exc:
            record(
                personas,
                shop_party,
                when,
                source="complaint",
                source_ref=ref,
                by=personas.dispatcher,
            )
        assert exc.value.code == code
    Complaint.objects.filter(pk=complaint.pk).update(substantiated=True)
    v = record(
        personas,
        shop_party,
        when,
        source="complaint",
        source_ref=complaint.tracking_no,
        by=personas.dispatcher,
    )
    assert v.source == "complaint" and v.outcome == "education"
