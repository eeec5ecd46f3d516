"""Demo enforcement history: education records, warnings and a few case proposals.

Deterministic (draws only from ctx.rng over merchants in pk order) and idempotent (every
demo violation carries a source_ref starting with DEMO-; if any exists, nothing is added).
Each record goes through `violation_record`, exactly as an officer's would.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from nuanxin.accounts.models import Role, User
from nuanxin.core.demo import DemoContext
from nuanxin.core.errors import DomainError
from nuanxin.laws.selectors import tag_get
from nuanxin.merchants.models import Merchant
from nuanxin.orgs.selectors import district_for_point
from nuanxin.violations.models import Violation
from nuanxin.violations.services import party_for_merchant, violation_record

FOOD_TAGS = ["open_air_bbq", "restaurant_fumes", "outside_shop_trading", "road_occupation"]
SHOP_TAGS = ["outside_shop_trading", "unapproved_signboard", "illegal_posting", "material_piling"]
PARTIES = 120
SECOND_SHARE = 0.3
THIRD_SHARE = 0.08


def _recorder(district: Any, fallback: User) -> User:
    officer = (
        User.objects.filter(role=Role.OFFICER, district=district, is_active=True)
        .order_by("pk")
        .first()
    )
    return officer or fallback


def seed(ctx: DemoContext) -> None:
    """Idempotent: running it twice adds nothing."""
    if Violation.objects.filter(source_ref__startswith="DEMO-").exists():
        return
    fallback = (
        User.objects.filter(role__in=[Role.CHIEF, Role.BUREAU_ADMIN], is_active=True)
        .order_by("pk")
        .first()
    )
    if fallback is None:
        ctx.say("violations: no chief or bureau admin; skipped")
        return
    merchants = list(Merchant.objects.filter(status=Merchant.Status.ACTIVE).order_by("pk"))
    if not merchants:
        return
    chosen = ctx.rng.sample(merchants, min(len(merchants), ctx.scaled(PARTIES)))
    now = timezone.now()
    counts = {"education": 0, "warning": 0, "propose_case": 0}
    for n, merchant in enumerate(chosen):
        tags = FOOD_TAGS if merchant.category == "餐饮" else SHOP_TAGS
        code = ctx.rng.choice(tags)
        roll = ctx.rng.random()
        offences = 3 if roll < THIRD_SHARE else 2 if roll < THIRD_SHARE + SECOND_SHARE else 1
        first_days_ago = ctx.rng.randint(60, 330)
        days = sorted(
            [first_days_ago]
            + [ctx.rng.randint(1, first_days_ago - 1) for _ in range(offences - 1)],
            reverse=True,
        )
        district = district_for_point(lat=merchant.lat, lng=merchant.lng) or merchant.district
        by = _recorder(district, fallback)
        party = party_for_merchant(merchant=merchant, by=by)
        for i, days_ago in enumerate(days):
            when = now - dt.timedelta(days=days_ago, minutes=ctx.rng.randint(0, 600))
            try:
                v = violation_record(
                    party=party,
                    tag=tag_get(code),
                    occurred_at=when,
                    place=merchant.address,
                    lat=merchant.lat,
                    lng=merchant.lng,
                    source="field" if ctx.rng.random() < 0.8 else "camera",
                    source_ref=f"DEMO-{n:04d}-{i}",
                    evidence_refs=[f"DEMO-IMG-{n:04d}-{i}-1.jpg"],
                    facts={"corrected_promptly": ctx.rng.random() < 0.85, "harm": "minor"},
                    by=by,
                )
            except DomainError as exc:  # a merchant outside every district, say
                ctx.say(f"violations: skipped {merchant.name}: {exc.message}")
                break
            counts[v.outcome] += 1
    ctx.say(
        "violations: {education} education records, {warning} warnings, "
        "{propose_case} case proposals".format(**counts)
    )
