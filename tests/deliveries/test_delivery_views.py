from __future__ import annotations

from typing import Any

import pytest

from nuanxin.accounts.services import api_token_issue
from nuanxin.deliveries.models import Delivery, SmsOutbox
from nuanxin.deliveries.services import delivery_consent_record, delivery_send, open_link_token
from tests.deliveries.test_delivery_services import _notice


@pytest.mark.slow
def test_party_opens_the_signed_link_and_acknowledges(
    client: Any, personas: Any, signing_keys: Any
) -> None:
    delivery_consent_record(
        party=personas.merchant_shop,
        channels=["sms"],
        addresses={"phone": "13905581234"},
        by=personas.officer_a,
    )
    delivery = delivery_send(
        document=_notice(personas), party=personas.merchant_shop, by=personas.officer_a
    )
    url = f"/service/{open_link_token(delivery)}/"
    page = client.get(url)
    assert page.status_code == 200 and delivery.document_number in page.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.OPENED and delivery.served_at == delivery.opened_at
    client.post(url)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.ACKNOWLEDGED
    assert client.get(url + "x/").status_code == 404
    assert client.get("/service/forged-token/").status_code == 404


@pytest.mark.slow
def test_operator_reads_and_acknowledges_through_its_api(
    client: Any, personas: Any, signing_keys: Any
) -> None:

    delivery_consent_record(
        party=personas.operator, channels=["portal"], addresses={}, by=personas.operator_admin
    )
    delivery = delivery_send(
        document=_notice(personas, "青桔单车"), party=personas.operator, by=None
    )
    _token, raw = api_token_issue(name="q", by=personas.admin, operator=personas.operator)
    _t2, other_raw = api_token_issue(name="h", by=personas.admin, operator=personas.other_operator)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    inbox = client.get("/api/v1/deliveries/inbox", **auth).json()
    assert [i["id"] for i in inbox] == [delivery.pk]
    other = client.get(
        f"/api/v1/deliveries/inbox/{delivery.pk}", HTTP_AUTHORIZATION=f"Bearer {other_raw}"
    )
    assert other.status_code == 404
    opened = client.get(f"/api/v1/deliveries/inbox/{delivery.pk}", **auth).json()
    assert opened["status"] == "opened"
    acked = client.post(f"/api/v1/deliveries/inbox/{delivery.pk}/ack", **auth).json()
    assert acked["status"] == "acknowledged"


@pytest.mark.slow
def test_sms_gateway_receipt_fixes_the_service_date(
    client: Any, personas: Any, signing_keys: Any
) -> None:

    delivery_consent_record(
        party=personas.merchant_shop,
        channels=["sms"],
        addresses={"phone": "13905581234"},
        by=personas.officer_a,
    )
    delivery = delivery_send(
        document=_notice(personas), party=personas.merchant_shop, by=personas.officer_a
    )
    row = SmsOutbox.objects.get()
    _token, raw = api_token_issue(name="sms-gw", by=personas.admin, integration="sms")
    response = client.post(
        "/api/v1/deliveries/sms/receipt",
        {"ref": row.pk, "delivered_at": "2026-11-20T10:00:00+08:00"},
        content_type="application/json",
        HTTP_X_API_KEY=raw,
    )
    assert response.status_code == 200, response.content
    delivery.refresh_from_db()
    assert delivery.served_at is not None and delivery.served_at.isoformat().startswith(
        "2026-11-20T02:00"
    )
    assert (
        client.post(
            "/api/v1/deliveries/sms/receipt", {"ref": row.pk}, content_type="application/json"
        ).status_code
        == 401
    )
