"""Small builders for merchant tests (plain ORM: fixtures, not the code under test)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from nuanxin.lib.uscc import uscc_generate
from nuanxin.merchants.models import Licence, Merchant

_rng = random.Random(99)


def make_merchant(district: Any, *, name: str, street: str = "北关街道", **extra: Any) -> Merchant:
    lat = 33.87 if district.code == "QC-N" else 33.82
    return Merchant.objects.create(
        uscc=extra.pop("uscc", None) or uscc_generate(_rng),
        name=name,
        kind=Merchant.Kind.INDIVIDUAL,
        district=district,
        street=street,
        address="亳州市谯城区人民路1号",
        lat=lat,
        lng=115.75,
        contact_name="赵六",
        contact_phone="13700002222",
        **extra,
    )


def add_licence(merchant: Merchant, kind: str, *, days_left: int | None, n: int) -> Licence:
    today = timezone.localdate()
    until = None if days_left is None else today + dt.timedelta(days=days_left)
    return Licence.objects.create(
        merchant=merchant,
        kind=kind,
        number=f"T-{kind}-{n}",
        valid_from=today - dt.timedelta(days=400),
        valid_until=until,
    )
