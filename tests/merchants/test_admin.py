"""The merchant admin applies the registry's field checks."""

from __future__ import annotations

from typing import Any

import pytest

from nuanxin.audit.models import AuditEvent
from tests.audit.test_admin_audit import admin_form_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("uscc", "92341602MA2TE8K029", "第18位校验码错误"),
        ("contact_phone", "12", "电话号码格式不正确"),
    ],
)
def test_the_merchant_admin_applies_the_registry_checks(
    client_for: Any, personas: Any, field: str, value: str, message: str
) -> None:
    shop = personas.merchant_shop
    client = client_for(personas.admin)
    url = f"/admin/merchants/merchant/{shop.pk}/change/"
    data = admin_form_data(client.get(url))
    data[field] = value
    response = client.post(url, data)
    assert response.status_code == 200 and message in response.content.decode()
    shop.refresh_from_db()
    assert getattr(shop, field) != value
    assert not AuditEvent.objects.filter(action__startswith="admin.").exists()


def test_a_licence_ending_before_it_starts_is_refused_in_the_admin(
    client_for: Any, personas: Any
) -> None:
    shop = personas.merchant_shop
    client = client_for(personas.admin)
    url = f"/admin/merchants/merchant/{shop.pk}/change/"
    data = admin_form_data(client.get(url))
    key = next(k for k in data if k.endswith("-valid_from"))
    data[key.replace("valid_from", "valid_until")] = "2019-01-01"
    response = client.post(url, data)
    assert response.status_code == 200 and "有效期至不能早于有效期自" in response.content.decode()
    assert shop.licences.get().valid_until is None
    assert not AuditEvent.objects.filter(action__startswith="admin.").exists()
