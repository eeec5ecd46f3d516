"""/api/v1/deliveries/: operators' and merchants' inbox, SMS gateway receipts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from nuanxin.accounts.auth import integration_auth, operator_auth, staff_auth
from nuanxin.core.access import not_found, require_role
from nuanxin.core.http import client_ip
from nuanxin.deliveries.models import Delivery, SmsOutbox
from nuanxin.deliveries.selectors import inbox_for
from nuanxin.deliveries.services import (
    delivery_mark_acknowledged,
    delivery_mark_delivered,
    delivery_mark_opened,
    open_link,
)


def _auth(request: HttpRequest) -> Any:
    """The authenticated user or token django-ninja put on the request."""
    return getattr(request, "auth", None)


router = Router(tags=["deliveries"])


class InboxItemOut(Schema):
    id: int
    document_number: str
    document_title: str
    doc_type: str
    status: str
    delivered_at: dt.datetime | None
    opened_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    served_at: dt.datetime | None
    served_rule: str
    link: str


def _item(d: Delivery) -> InboxItemOut:
    return InboxItemOut(
        id=d.pk,
        document_number=d.document_number,
        document_title=d.document_title,
        doc_type=d.doc_type,
        status=d.status,
        delivered_at=d.delivered_at,
        opened_at=d.opened_at,
        acknowledged_at=d.acknowledged_at,
        served_at=d.served_at,
        served_rule=d.served_rule,
        link=open_link(d),
    )


def _operator_delivery(request: HttpRequest, delivery_id: int) -> Delivery:
    delivery = inbox_for(operator=_auth(request).operator).filter(pk=delivery_id).first()
    if delivery is None:
        raise not_found()
    return delivery


@router.get("/inbox", response=list[InboxItemOut], auth=operator_auth)
def operator_inbox(request: HttpRequest) -> list[InboxItemOut]:
    """Documents served on the calling operator (its system's inbox)."""
    return [_item(d) for d in inbox_for(operator=_auth(request).operator)[:200]]


@router.get("/inbox/{delivery_id}", response=InboxItemOut, auth=operator_auth)
def operator_inbox_open(request: HttpRequest, delivery_id: int) -> InboxItemOut:
    """Fetching one item counts as opening it."""
    delivery = _operator_delivery(request, delivery_id)
    return _item(delivery_mark_opened(delivery=delivery, source_ip=client_ip(request)))


@router.post("/inbox/{delivery_id}/ack", response=InboxItemOut, auth=operator_auth)
def operator_inbox_ack(request: HttpRequest, delivery_id: int) -> InboxItemOut:
    delivery = _operator_delivery(request, delivery_id)
    return _item(delivery_mark_acknowledged(delivery=delivery, source_ip=client_ip(request)))


@router.get("/merchant-inbox", response=list[InboxItemOut], auth=staff_auth)
def merchant_inbox(request: HttpRequest) -> list[InboxItemOut]:
    user = require_role(_auth(request), "merchant")
    items: list[InboxItemOut] = []
    for merchant in user.merchants.all():
        items += [_item(d) for d in inbox_for(merchant=merchant)[:200]]
    return items


class SmsReceiptIn(Schema):
    ref: int
    delivered_at: dt.datetime | None = None
    provider_ref: str = ""


@router.post("/sms/receipt", response=InboxItemOut, auth=integration_auth)
def sms_receipt(request: HttpRequest, payload: SmsReceiptIn) -> InboxItemOut:
    """The SMS gateway's delivery receipt for outbox row `ref` (fixes the service date)."""
    row = get_object_or_404(SmsOutbox.objects.select_related("attempt__delivery"), pk=payload.ref)
    if row.attempt is None:
        raise not_found()
    delivery = delivery_mark_delivered(
        delivery=row.attempt.delivery,
        channel="sms",
        at=payload.delivered_at,
        provider_ref=payload.provider_ref,
        source_ip=client_ip(request),
    )
    return _item(delivery)
