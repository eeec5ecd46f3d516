"""Merchant registry API (/api/v1/merchants/): staff sessions only; personal data unmasked."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema

from nuanxin.accounts.auth import staff_auth
from nuanxin.core.access import require_staff
from nuanxin.merchants.access import access_merchant
from nuanxin.merchants.models import Merchant
from nuanxin.merchants.selectors import (
    MerchantFilters,
    licence_state,
    merchant_licence_state,
    merchant_page,
)

router = Router(tags=["merchants"])


class LicenceOut(Schema):
    kind: str
    kind_label: str
    number: str
    issuer: str
    valid_from: dt.date
    valid_until: dt.date | None
    state: str


class MerchantOut(Schema):
    id: int
    uscc: str
    name: str
    kind: str
    category: str
    status: str
    district: str
    street: str
    address: str
    lat: float
    lng: float
    licence_state: str
    credit_level: str | None
    licences: list[LicenceOut]


class MerchantDetailOut(MerchantOut):
    contact_name: str
    contact_phone: str


class MerchantPageOut(Schema):
    count: int
    page: int
    pages: int
    results: list[MerchantOut]


class FiltersIn(Schema):
    q: str = ""
    district: str = ""
    street: str = ""
    licence_state: str = ""
    credit_level: str = ""
    status: str = ""
    page: int = 1
    page_size: int = 50


def _out(merchant: Merchant, with_contact: bool = False) -> dict:
    licences = list(merchant.licences.all())
    # A merchant not yet scored has no CreditState (the reverse accessor raises AttributeError).
    credit = getattr(merchant, "credit", None)
    data = {
        "id": merchant.pk,
        "uscc": merchant.uscc,
        "name": merchant.name,
        "kind": merchant.kind,
        "category": merchant.category,
        "status": merchant.status,
        "district": merchant.district.code,
        "street": merchant.street,
        "address": merchant.address,
        "lat": merchant.lat,
        "lng": merchant.lng,
        "licence_state": merchant_licence_state(licences),
        "credit_level": credit.level if credit else None,
        "licences": [
            {
                "kind": lic.kind,
                "kind_label": lic.get_kind_display(),
                "number": lic.number,
                "issuer": lic.issuer,
                "valid_from": lic.valid_from,
                "valid_until": lic.valid_until,
                "state": licence_state(lic),
            }
            for lic in licences
        ],
    }
    if with_contact:
        data["contact_name"] = merchant.contact_name
        data["contact_phone"] = merchant.contact_phone
    return data


@router.get("/", response=MerchantPageOut, auth=staff_auth)
def merchant_list(request: HttpRequest, filters: Query[FiltersIn]) -> dict:
    user = require_staff(request.auth)  # type: ignore[attr-defined]
    page = merchant_page(
        user=user,
        filters=MerchantFilters(
            q=filters.q,
            district=filters.district,
            street=filters.street,
            licence_state=filters.licence_state,
            credit_level=filters.credit_level,
            status=filters.status,
        ),
        page=filters.page,
        per_page=filters.page_size,
    )
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "results": [_out(m) for m in page],
    }


@router.get("/{merchant_id}", response=MerchantDetailOut, auth=staff_auth)
def merchant_get(request: HttpRequest, merchant_id: int) -> dict:
    user = require_staff(request.auth)  # type: ignore[attr-defined]
    merchant = access_merchant(user, merchant_id)
    return _out(merchant, with_contact=True)
