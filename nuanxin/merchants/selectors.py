"""Reads of the merchant registry: search/filter with a bounded number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nuanxin.merchants.access import merchants_visible_to
from nuanxin.merchants.models import Inspection, Licence, Merchant

EXPIRING_DAYS = 30

LICENCE_STATES = {
    "valid": _("证照有效"),
    "expiring": _("30天内到期"),
    "expired": _("已过期"),
    "missing": _("缺营业执照"),
}


def today() -> dt.date:
    return timezone.localdate()


def licence_state(licence: Licence, *, on: dt.date | None = None) -> str:
    day = on or today()
    if licence.valid_from > day:
        return "pending"
    if licence.valid_until is None:
        return "valid"
    if licence.valid_until < day:
        return "expired"
    if licence.valid_until <= day + dt.timedelta(days=EXPIRING_DAYS):
        return "expiring"
    return "valid"


def merchant_licence_state(licences: list[Licence], *, on: dt.date | None = None) -> str:
    """Worst state over the merchant's licences: missing > expired > expiring > valid."""
    if not any(lic.kind == Licence.Kind.BUSINESS for lic in licences):
        return "missing"
    states = {licence_state(lic, on=on) for lic in licences}
    for state in ("expired", "expiring"):
        if state in states:
            return state
    return "valid"


def _licence_filter(queryset: QuerySet[Merchant], state: str, day: dt.date) -> QuerySet[Merchant]:
    own = Licence.objects.filter(merchant=OuterRef("pk"))
    expired = own.filter(valid_until__lt=day)
    expiring = own.filter(
        valid_until__gte=day, valid_until__lte=day + dt.timedelta(days=EXPIRING_DAYS)
    )
    business = own.filter(kind=Licence.Kind.BUSINESS)
    if state == "missing":
        return queryset.filter(~Exists(business))
    if state == "expired":
        return queryset.filter(Exists(business), Exists(expired))
    if state == "expiring":
        return queryset.filter(Exists(business), ~Exists(expired), Exists(expiring))
    if state == "valid":
        return queryset.filter(Exists(business), ~Exists(expired), ~Exists(expiring))
    return queryset


@dataclass(frozen=True)
class MerchantFilters:
    q: str = ""
    district: str = ""  # District.code
    street: str = ""
    licence_state: str = ""
    credit_level: str = ""
    status: str = ""

    @classmethod
    def from_params(cls, params: Any) -> MerchantFilters:
        return cls(
            **{
                name: str(params.get(name, "") or "").strip()[:120]
                for name in cls.__dataclass_fields__
            }
        )


def merchant_search(*, user: Any, filters: MerchantFilters) -> QuerySet[Merchant]:
    """Merchants the user may see, filtered; credit state joined, licences prefetched."""
    from nuanxin.credit.rules import rules_current

    queryset = merchants_visible_to(user).select_related("district", "credit")
    if filters.q:
        q = filters.q
        queryset = queryset.filter(
            Q(name__icontains=q) | Q(uscc__iexact=q.upper()) | Q(uscc__startswith=q.upper())
        )
    if filters.district:
        queryset = queryset.filter(district__code=filters.district)
    if filters.street:
        queryset = queryset.filter(street=filters.street)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.licence_state:
        queryset = _licence_filter(queryset, filters.licence_state, today())
    if filters.credit_level:
        level = filters.credit_level.upper()
        condition = Q(credit__level=level)
        if level == rules_current().base_level:
            condition |= Q(credit__isnull=True)  # not yet scored: the base level applies
        queryset = queryset.filter(condition)
    return queryset.prefetch_related(
        Prefetch("licences", queryset=Licence.objects.order_by("kind", "valid_until"))
    ).order_by("district__code", "name", "pk")


def merchant_page(
    *, user: Any, filters: MerchantFilters, page: Any = 1, per_page: int = 25
) -> Page:
    paginator = Paginator(merchant_search(user=user, filters=filters), min(max(per_page, 1), 200))
    return paginator.get_page(page)


def street_choices(*, user: Any, district: str = "") -> list[str]:
    queryset = merchants_visible_to(user).exclude(street="")
    if district:
        queryset = queryset.filter(district__code=district)
    return list(queryset.order_by("street").values_list("street", flat=True).distinct())


def merchant_detail(*, merchant: Merchant) -> dict[str, Any]:
    licences = list(merchant.licences.order_by("kind", "valid_until"))
    inspections = list(Inspection.objects.filter(merchant=merchant).select_related("officer")[:20])
    day = today()
    return {
        "licences": [(lic, licence_state(lic, on=day)) for lic in licences],
        "licence_state": merchant_licence_state(licences, on=day),
        "inspections": inspections,
    }


def merchants_for_owner(*, user: Any) -> QuerySet[Merchant]:
    return (
        Merchant.objects.filter(owners=user)
        .select_related("district", "credit")
        .prefetch_related("licences")
        .order_by("name")
    )
