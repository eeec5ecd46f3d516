"""Demo history: ratings (bulk) and complaints at every stage of the workflow.

Deterministic (ctx.rng) and idempotent: demo ratings use device keys `demo:<n>` (unique per
merchant and day, inserted with ignore_conflicts) and demo complaints are only added
while fewer than the target exist.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from nuanxin.core.demo import DemoContext
from nuanxin.feedback.catalog import categories, rating_tags
from nuanxin.feedback.models import Complaint, ComplaintStatus, Rating
from nuanxin.feedback.ports import credit_record
from nuanxin.feedback.services import complaints as svc
from nuanxin.feedback.services.overdue import complaints_flag_overdue

DESCRIPTIONS = {
    "food_hygiene": ["后厨地面油污严重，苍蝇很多", "买到的熟食有异味，怀疑变质"],
    "street_occupation": ["店门口摆满桌椅，占用人行道", "晚上在门前摆摊烧烤，行人只能走机动车道"],
    "fumes_noise": ["油烟直接排到居民楼，窗户都不能开", "每天晚上十一点后还在用音箱揽客"],
    "price_fraud": ["菜单价格和结账价格不一致", "水果称重明显缺斤短两"],
    "service_attitude": ["店员态度恶劣，还推搡顾客", "强行要求消费满额才能使用卫生间"],
    "signboard": ["门头招牌一角松动，大风天很危险", "在人行道上私设落地广告牌"],
    "waste": ["门前垃圾堆放多日无人清理", "把洗碗污水直接倒进雨水井"],
    "other": ["店门口长期停放电动车，堵塞消防通道", "门前三包责任牌缺失"],
}
REPLIES = ["已整改，桌椅已全部收回店内，请监督。", "已安装油烟净化器并定期清洗，感谢提醒。"]
RESOLUTIONS = ["现场核查属实，已责令整改并复查合格。", "现场核查未发现所述问题，已向投诉人说明。"]


def _ratings(ctx: DemoContext, merchant_ids: list[int]) -> int:
    from nuanxin.merchants.models import Merchant

    if Rating.objects.filter(device_key__startswith="demo:").exists():
        return 0  # seeded before: adding more would not be idempotent
    tags = rating_tags()
    today = timezone.localdate()
    rows = []
    chosen = ctx.rng.sample(merchant_ids, k=min(len(merchant_ids), ctx.scaled(400)))
    for mid in sorted(chosen):
        mood = ctx.rng.choice([5, 5, 4, 4, 4, 3, 2])  # a shop's usual standard
        for n in range(ctx.rng.randint(1, 4)):
            stars = max(1, min(5, mood + ctx.rng.choice([-1, 0, 0, 0, 1])))
            pool = tags["positive"] if stars >= 4 else tags["negative"]
            day = today - dt.timedelta(days=ctx.rng.randint(1, 80))
            at = timezone.make_aware(
                dt.datetime.combine(day, dt.time(ctx.rng.randint(8, 21), ctx.rng.randint(0, 59)))
            )
            rows.append(
                Rating(
                    merchant_id=mid,
                    stars=stars,
                    tags=ctx.rng.sample(pool, k=ctx.rng.randint(0, 2)),
                    text="",
                    device_key=f"demo:{mid}:{n}",
                    ip=f"10.{ctx.rng.randint(0, 255)}.{ctx.rng.randint(0, 255)}.{ctx.rng.randint(1, 254)}",
                    day=day,
                    created_at=at,
                )
            )
    created = Rating.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    # Feed credit for every demo rating (credit_event_record is idempotent per rating).
    merchants = Merchant.objects.in_bulk(chosen)
    for rating in Rating.objects.filter(device_key__startswith="demo:").order_by("pk"):
        credit_record(
            merchant=merchants.get(rating.merchant_id) or rating.merchant,
            kind="rating",
            source=rating,
            occurred_at=rating.created_at,
            by=None,
            value=rating.stars,
            note="公众评价（演示数据）",
        )
    return len(created)


def _complaint(ctx: DemoContext, merchant: object, index: int, officers: dict[int, object]) -> None:
    cats = categories()
    category = ctx.rng.choice(cats).code
    phone = "139" + "".join(str(ctx.rng.randint(0, 9)) for _ in range(8)) if index % 2 else ""
    complaint = svc.complaint_submit(
        category=category,
        description=ctx.rng.choice(DESCRIPTIONS.get(category, DESCRIPTIONS["other"])),
        source=Complaint.Source.SCAN,
        merchant=merchant,
        phone=phone,
        ip=None,
        device_key=f"demo-complaint:{index}",
    )
    officer = officers.get(complaint.district_id or 0)
    stage = index % 8  # spread complaints over every stage
    if officer is None or stage == 0:
        return
    svc.complaint_claim(complaint=complaint, by=officer)
    if stage == 1:
        return
    if stage in (2, 3, 4, 5, 7):
        svc.complaint_notify_merchant(complaint=complaint, by=officer)
        if stage == 2:
            return
        svc.complaint_merchant_reply(complaint=complaint, by=None, reply=ctx.rng.choice(REPLIES))
        if stage == 3:
            return
    else:
        svc.complaint_take_over(complaint=complaint, by=officer, note="现场核查")
        if stage == 6 and index % 3 == 0:
            return
    substantiated = ctx.rng.random() < 0.7
    svc.complaint_resolve(
        complaint=complaint,
        by=officer,
        resolution=RESOLUTIONS[0] if substantiated else RESOLUTIONS[1],
        substantiated=substantiated,
    )
    if stage == 4:
        return
    svc.complaint_feedback(complaint=complaint, satisfied=stage != 7, note="")


OPEN311_DEMO_KEY = "nx_open311_demo_2026_bozhou"  # demo databases only


def _open311_key(ctx: DemoContext) -> None:
    from nuanxin.accounts.models import ApiToken
    from nuanxin.accounts.services import api_token_issue

    if not ApiToken.objects.filter(key_hash=ApiToken.hash_secret(OPEN311_DEMO_KEY)).exists():
        api_token_issue(
            name="Open311 演示集成（12345热线）",
            by=None,
            integration="open311",
            raw=OPEN311_DEMO_KEY,
        )
    ctx.open311_api_key = OPEN311_DEMO_KEY


def seed(ctx: DemoContext) -> None:
    """Idempotent: running it twice adds nothing."""
    from nuanxin.accounts.models import User
    from nuanxin.merchants.models import Merchant

    _open311_key(ctx)
    merchant_ids = list(
        Merchant.objects.filter(status="active").order_by("pk").values_list("pk", flat=True)
    )
    if not merchant_ids:
        ctx.say("feedback: no merchants, nothing to rate")
        return
    added = _ratings(ctx, merchant_ids)
    officers: dict[int, object] = {}
    for user in User.objects.filter(role="officer").order_by("username"):
        if user.district_id is not None:
            officers.setdefault(user.district_id, user)
    target = ctx.scaled(80, minimum=8)
    existing = Complaint.objects.filter(device_key__startswith="demo-complaint:").count()
    picks = ctx.rng.sample(merchant_ids, k=min(len(merchant_ids), target))
    merchants = Merchant.objects.in_bulk(picks)
    for index in range(existing, target):
        with transaction.atomic():
            _complaint(ctx, merchants[picks[index % len(picks)]], index, officers)
    # Age the history: spread demo complaints over the last two months, and make a few late.
    now = timezone.now()
    for n, complaint in enumerate(
        Complaint.objects.filter(device_key__startswith="demo-complaint:").order_by("pk")
    ):
        if complaint.created_at < now - dt.timedelta(days=1):
            continue
        back = dt.timedelta(days=ctx.rng.randint(0, 60), hours=ctx.rng.randint(0, 23))
        updates: dict[str, object] = {"created_at": complaint.created_at - back}
        if complaint.status != ComplaintStatus.CLOSED and n % 4 == 1 and complaint.stage_deadline:
            updates["stage_deadline"] = now - dt.timedelta(hours=ctx.rng.randint(1, 48))
        Complaint.objects.filter(pk=complaint.pk).update(**updates)
    flagged = complaints_flag_overdue(now=now)
    ctx.say(
        f"feedback: {added} ratings added, {Complaint.objects.count()} complaints "
        f"({flagged} flagged overdue)"
    )
