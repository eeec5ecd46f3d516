"""Demo merchants: ~2,000 shops (× ctx.scale) on Bozhou streets, with licences and inspections.

Bulk-created for speed; deterministic (draws only from ctx.rng); idempotent (a second run
finds the demo portal account's shops and adds nothing).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from nuanxin.accounts.demo import demo_user
from nuanxin.accounts.models import Role, User
from nuanxin.core.demo import DemoContext
from nuanxin.lib.uscc import uscc_generate
from nuanxin.merchants.demo_words import (
    BRANCH_SUFFIX,
    CATEGORIES,
    DISTRICT_NAMES,
    GIVEN_CHARS,
    ISSUERS,
    STREETS,
    SURNAMES,
)
from nuanxin.merchants.models import Inspection, Licence, Merchant
from nuanxin.orgs.models import District

MERCHANT_COUNT = 2000
PORTAL_USERNAME = "merchant"
DIVISION = {"QC-N": "341602", "QC-S": "341602", "GX-E": "341671", "JK-E": "341672"}


def _person(rng: Any) -> str:
    return rng.choice(SURNAMES) + "".join(
        rng.choice(GIVEN_CHARS) for _ in range(rng.choice((1, 2)))
    )


def _phone(rng: Any) -> str:
    return rng.choice(("139", "138", "137", "158", "159", "187", "188", "180", "135", "152")) + (
        f"{rng.randrange(0, 10**8):08d}"
    )


def _name(
    rng: Any, category: str, spec: dict, district_code: str, road: str, used: set
) -> tuple[str, str]:
    """(name, kind). Chains are enterprises with a branch suffix; the rest individual shops."""
    for _attempt in range(20):
        if rng.random() < 0.18:
            brand = rng.choice(spec["brands"])
            branch = f"{road}店" if rng.random() < 0.5 else BRANCH_SUFFIX[district_code]
            name = f"{brand}{branch}"
            kind = Merchant.Kind.ENTERPRISE
        else:
            pattern = rng.choice(spec["patterns"])
            name = pattern.format(
                s=rng.choice(SURNAMES[:40]), road=road, item=rng.choice(spec["items"])
            )
            kind = Merchant.Kind.INDIVIDUAL
        if name not in used:
            used.add(name)
            return name, kind
    name = f"{name}{len(used)}号店"
    used.add(name)
    return name, kind


def _licences(
    rng: Any, merchant: Merchant, category: str, today: dt.date, serial: int
) -> list[Licence]:
    out = []
    if rng.random() < 0.97:  # a few operate without a registered business licence
        start = today - dt.timedelta(days=rng.randrange(60, 365 * 12))
        until = None if rng.random() < 0.7 else start + dt.timedelta(days=365 * 20)
        out.append(
            Licence(
                merchant=merchant,
                kind="business",
                number=f"BL{merchant.uscc[-10:]}",
                issuer=ISSUERS["business"],
                valid_from=start,
                valid_until=until,
            )
        )
    if CATEGORIES[category]["food"] and rng.random() < 0.92:
        # Food licences run five years; spread starts so some are expiring or expired.
        start = today - dt.timedelta(days=rng.randrange(30, 365 * 5 + 200))
        out.append(
            Licence(
                merchant=merchant,
                kind="food",
                number=f"JY13416{serial:09d}",
                issuer=ISSUERS["food"],
                valid_from=start,
                valid_until=start + dt.timedelta(days=365 * 5 - 1),
            )
        )
    if rng.random() < 0.6:
        start = today - dt.timedelta(days=rng.randrange(10, 365 * 3 + 60))
        out.append(
            Licence(
                merchant=merchant,
                kind="signboard",
                number=f"MT-{serial:06d}",
                issuer=ISSUERS["signboard"],
                valid_from=start,
                valid_until=start + dt.timedelta(days=365 * 3 - 1),
            )
        )
    if rng.random() < 0.12:
        start = today - dt.timedelta(days=rng.randrange(10, 365 * 2 + 30))
        out.append(
            Licence(
                merchant=merchant,
                kind="outdoor_ad",
                number=f"HW-{serial:06d}",
                issuer=ISSUERS["outdoor_ad"],
                valid_from=start,
                valid_until=start + dt.timedelta(days=365 * 2 - 1),
            )
        )
    return out


def seed(ctx: DemoContext) -> None:
    districts = list(District.objects.filter(code__in=STREETS).order_by("code"))
    qcn = next((d for d in districts if d.code == "QC-N"), None)
    portal = demo_user(
        ctx, username=PORTAL_USERNAME, role=Role.MERCHANT, district=None, display_name="王大明"
    )
    if portal.merchants.exists() or not districts:
        return  # already seeded (idempotent)
    rng = ctx.rng
    count = ctx.scaled(MERCHANT_COUNT, minimum=12)
    today = timezone.localdate()
    categories = list(CATEGORIES)
    weights = [CATEGORIES[c]["weight"] for c in categories]
    taken = set(Merchant.objects.values_list("uscc", flat=True))
    used_names = set(Merchant.objects.values_list("name", flat=True))
    merchants: list[Merchant] = []
    categories_of: list[str] = []
    for i in range(count):
        district = districts[i % len(districts)] if i >= 2 or qcn is None else qcn
        streets, roads = STREETS[district.code]
        category = rng.choices(categories, weights)[0]
        road = rng.choice(roads)
        name, kind = _name(rng, category, CATEGORIES[category], district.code, road, used_names)
        west, south, east, north = _bounds(district)
        lat = round(rng.uniform(south + 0.002, north - 0.002), 6)
        lng = round(rng.uniform(west + 0.002, east - 0.002), 6)
        while True:
            uscc = uscc_generate(
                rng, division=DIVISION[district.code], individual=kind == Merchant.Kind.INDIVIDUAL
            )
            if uscc not in taken:
                taken.add(uscc)
                break
        registered = timezone.make_aware(
            dt.datetime.combine(
                today - dt.timedelta(days=rng.randrange(30, 365 * 6)), dt.time(9, 0)
            )
        )
        merchants.append(
            Merchant(
                uscc=uscc,
                name=name,
                kind=kind,
                category=category,
                district=district,
                street=rng.choice(streets),
                address=f"亳州市{DISTRICT_NAMES[district.code]}{road}{rng.randrange(1, 400)}号",
                lat=lat,
                lng=lng,
                contact_name=_person(rng),
                contact_phone=_phone(rng),
                status=Merchant.Status.ACTIVE if rng.random() < 0.96 else Merchant.Status.SUSPENDED,
                created_at=registered,
            )
        )
        categories_of.append(category)
    with transaction.atomic():
        created = Merchant.objects.bulk_create(merchants, batch_size=500)
        if any(m.pk is None for m in created):
            by_uscc = {
                m.uscc: m for m in Merchant.objects.filter(uscc__in=[m.uscc for m in merchants])
            }
            created = [by_uscc[m.uscc] for m in merchants]
        licences: list[Licence] = []
        for serial, (merchant, category) in enumerate(zip(created, categories_of, strict=True), 1):
            licences.extend(_licences(rng, merchant, category, today, serial))
        Licence.objects.bulk_create(licences, batch_size=1000, ignore_conflicts=True)
        portal.merchants.add(*created[:2])
        _inspections(ctx, created, today)
    ctx.say(f"merchants: {len(created)} merchants, {len(licences)} licences")


def _bounds(district: District) -> tuple[float, float, float, float]:
    return district.geometry.bounds  # (minx=west, miny=south, maxx=east, maxy=north)


def _inspections(ctx: DemoContext, merchants: list[Merchant], today: dt.date) -> None:
    """Some routine inspections by each district's officers (credit.demo scores them)."""
    rng = ctx.rng
    officers: dict[int, list[User]] = {}
    for user in User.objects.filter(role=Role.OFFICER, district__isnull=False).order_by("username"):
        officers.setdefault(user.district_id, []).append(user)  # type: ignore[arg-type]
    rows = []
    results = (
        [Inspection.Result.PASS] * 7 + [Inspection.Result.RECTIFY] * 2 + [Inspection.Result.FAIL]
    )
    for merchant in merchants:
        staff = officers.get(merchant.district_id)
        if not staff or rng.random() > 0.25:
            continue
        for _n in range(rng.choice((1, 1, 2, 3))):
            result = rng.choice(results)
            day = today - dt.timedelta(days=rng.randrange(1, 400))
            at = timezone.make_aware(
                dt.datetime.combine(day, dt.time(rng.randrange(8, 18), rng.randrange(60)))
            )
            notes = {
                Inspection.Result.PASS: "",
                Inspection.Result.RECTIFY: rng.choice(
                    ["店外堆放杂物，已告知整改", "门头招牌破损，限期修复", "油烟净化器未清洗"]
                ),
                Inspection.Result.FAIL: rng.choice(
                    ["占道经营，拒不整改", "无证经营食品", "垃圾未分类且乱倒"]
                ),
            }[result]
            rows.append(
                Inspection(
                    merchant=merchant, officer=rng.choice(staff), at=at, result=result, notes=notes
                )
            )
    Inspection.objects.bulk_create(rows, batch_size=1000)
