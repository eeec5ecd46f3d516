import datetime as dt

import pytest
from django.utils import timezone

from nuanxin.audit.models import AuditEvent
from nuanxin.core.errors import Conflict, DomainError
from nuanxin.credit.models import CreditEvent, CreditState
from nuanxin.merchants.models import Inspection, Licence, Merchant
from nuanxin.merchants.services import (
    inspection_record,
    licence_add,
    licence_update,
    merchant_create,
    merchant_update,
)

VALID = "9144030071526726XG"


def _create(personas, **over):
    data = dict(
        by=personas.chief,
        uscc=VALID,
        name="华联超市谯城店",
        kind="enterprise",
        address="亳州市谯城区芍花路8号",
        lat=33.82,
        lng=115.74,
        contact_name="李四",
        contact_phone="13800001111",
        street="芍花街道",
    )
    data.update(over)
    return merchant_create(**data)


def test_create_derives_the_district_from_the_location_and_audits(personas) -> None:
    merchant = _create(personas)
    assert merchant.district == personas.district_b
    event = AuditEvent.objects.get(action="merchant.create")
    assert event.object_id == str(merchant.pk)
    assert event.after["uscc"] == VALID


def test_create_normalises_the_code(personas) -> None:
    merchant = _create(personas, uscc=" 9144 0300 7152 6726xg ")
    assert merchant.uscc == VALID


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("uscc", "9144030071526726XH", "merchant_invalid_uscc"),
        ("uscc", "92341602MA2TEST01", "merchant_invalid_uscc"),
        ("name", " ", "merchant_invalid_name"),
        ("kind", "co-op", "merchant_invalid_kind"),
        ("contact_phone", "12345", "merchant_invalid_contact_phone"),
        ("lat", 31.0, "merchant_invalid_lat"),
        ("lat", "north", "merchant_invalid_lat"),
    ],
)
def test_bad_input_is_refused_with_a_specific_error(personas, field, value, code) -> None:
    before = Merchant.objects.count()
    with pytest.raises(DomainError) as info:
        _create(personas, **{field: value})
    assert info.value.code == code
    assert info.value.message
    assert Merchant.objects.count() == before
    assert not AuditEvent.objects.filter(action="merchant.create").exists()


def test_the_check_digit_error_names_the_expected_character(personas) -> None:
    with pytest.raises(DomainError) as info:
        _create(personas, uscc="9144030071526726XH")
    assert "G" in info.value.message


def test_a_registered_code_is_a_conflict(personas) -> None:
    with pytest.raises(Conflict):
        _create(personas, uscc=personas.merchant_shop.uscc)


def test_update_moves_the_district_with_the_location(personas) -> None:
    shop = personas.merchant_shop
    merchant_update(merchant=shop, by=personas.chief, lat=33.81, name="老王烧烤（南店）")
    shop.refresh_from_db()
    assert shop.district == personas.district_b
    event = AuditEvent.objects.get(action="merchant.update")
    assert event.before == {"district": personas.district_a.pk, "lat": 33.87, "name": "老王烧烤店"}
    assert event.after["name"] == "老王烧烤（南店）"


def test_update_refuses_unknown_fields(personas) -> None:
    with pytest.raises(DomainError):
        merchant_update(merchant=personas.merchant_shop, by=personas.chief, owners=[])


def test_licences_are_added_and_updated_with_checks(personas) -> None:
    shop = personas.merchant_shop
    licence = licence_add(
        merchant=shop,
        by=personas.officer_a,
        kind="食品经营许可证",
        number="JY13416020001",
        valid_from="2024-01-01",
        valid_until="2028-12-31",
    )
    assert licence.kind == Licence.Kind.FOOD
    assert licence.valid_until == dt.date(2028, 12, 31)
    with pytest.raises(DomainError) as info:
        licence_update(licence=licence, by=personas.officer_a, valid_until="2023-01-01")
    assert info.value.code == "licence_invalid_period"
    with pytest.raises(Conflict):
        licence_add(
            merchant=shop,
            by=personas.officer_a,
            kind="food",
            number="JY13416020001",
            valid_from="2024-01-01",
        )
    with pytest.raises(DomainError):
        licence_add(
            merchant=shop, by=personas.officer_a, kind="food", number="X1", valid_from="2024-13-01"
        )
    licence_update(licence=licence, by=personas.officer_a, valid_until=None)
    licence.refresh_from_db()
    assert licence.valid_until is None
    assert AuditEvent.objects.filter(action__startswith="licence.").count() == 2


def test_an_inspection_feeds_the_credit_record(personas) -> None:
    shop = personas.merchant_shop
    inspection = inspection_record(
        merchant=shop,
        by=personas.officer_a,
        result="fail",
        notes="占道经营",
        at=timezone.now() - dt.timedelta(hours=1),
    )
    event = CreditEvent.objects.get(merchant=shop)
    assert event.kind == "inspection_fail"
    assert event.source_id == str(inspection.pk)
    assert event.source_label == f"#{inspection.credit_label}"
    assert CreditState.objects.get(merchant=shop).score < 80
    assert AuditEvent.objects.filter(action="inspection.record").exists()


def test_a_failed_inspection_needs_notes_and_nothing_is_half_written(personas) -> None:
    with pytest.raises(DomainError):
        inspection_record(merchant=personas.merchant_shop, by=personas.officer_a, result="fail")
    with pytest.raises(DomainError):
        inspection_record(merchant=personas.merchant_shop, by=personas.officer_a, result="maybe")
    assert not Inspection.objects.exists()
    assert not CreditEvent.objects.exists()
