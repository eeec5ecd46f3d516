from __future__ import annotations

from typing import Any

from nuanxin.audit.models import AuditEvent
from nuanxin.violations.models import Party
from nuanxin.violations.services import party_create, party_for_merchant, party_for_operator


def test_party_for_merchant_is_get_or_create(personas: Any) -> None:
    shop = personas.merchant_shop
    first = party_for_merchant(merchant=shop, by=personas.officer_a)
    again = party_for_merchant(merchant=shop, by=personas.officer_a)
    assert first.pk == again.pk
    assert first.kind == Party.Kind.ORGANISATION
    assert first.id_number == shop.uscc
    assert first.district == shop.district
    assert AuditEvent.objects.filter(action="party.create").count() == 1


def test_party_for_operator(personas: Any) -> None:
    p = party_for_operator(operator=personas.operator, by=None)
    assert p.operator == personas.operator
    assert party_for_operator(operator=personas.operator, by=None).pk == p.pk


def test_person_party_is_found_by_id_number_and_masked(personas: Any) -> None:
    p = party_create(
        kind="person", name="李四", id_number="341602199001011234", phone="13905581234",
        by=personas.officer_a, district=personas.district_a,
    )  # fmt: skip
    again = party_create(kind="person", name="李 四", id_number="341602199001011234", by=None)
    assert again.pk == p.pk
    assert p.id_number_masked == "341602********1234"
    assert p.phone_masked == "139****1234"
    audit = AuditEvent.objects.get(action="party.create", object_id=str(p.pk))
    assert audit.after["id_number"] == "341602********1234"


def test_a_party_registered_by_uscc_is_linked_to_the_merchant(personas: Any) -> None:
    shop = personas.merchant_shop
    plain = party_create(kind="organisation", name=shop.name, id_number=shop.uscc, by=None)
    linked = party_for_merchant(merchant=shop, by=personas.officer_a)
    assert linked.pk == plain.pk
    assert linked.merchant == shop
