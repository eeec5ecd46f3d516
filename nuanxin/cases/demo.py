"""Demo cases at every stage, driven through the real services so every document is numbered,
rendered, signed and sealed exactly as in production (document_issue).

Idempotent: it does nothing once any case exists. Deterministic: draws only from ctx.rng.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from nuanxin.core.demo import DemoContext

# (stage, tag code) — each stage appears at least once; the list repeats for larger scales.
STAGES = [
    ("closed", "outside_shop_trading"),
    ("executing_overdue", "open_air_bbq"),
    ("served", "illegal_outdoor_ad"),
    ("decided_served_electronically", "outside_shop_trading"),
    ("hearing", "restaurant_fumes"),
    ("notified", "material_piling"),
    ("chief_approval", "outside_shop_trading"),
    ("legal_review_departure", "open_air_bbq"),
    ("investigating", "illegal_posting"),
    ("filed", "road_occupation"),
    ("withdrawn", "material_piling"),
    ("no_penalty", "outside_shop_trading"),
    ("onspot", "mobile_vending"),
    ("decided", "outside_shop_trading"),
    ("closed", "illegal_posting"),
    ("executing_overdue", "outside_shop_trading"),
]
FACTS = {
    "outside_shop_trading": "在店门外人行道摆放桌椅、货架超出门窗经营，占用人行道约%d平方米。",
    "open_air_bbq": "在禁止区域露天烧烤食品，现场烟气明显，持续约%d分钟。",
    "illegal_outdoor_ad": "未经批准在临街墙面设置户外广告牌约%d平方米。",
    "restaurant_fumes": "餐饮油烟未经净化直接排放，油烟净化设施停用约%d天。",
    "material_piling": "擅自在街道两侧堆放建筑材料约%d立方米。",
    "illegal_posting": "在公共设施上张贴小广告%d处。",
    "road_occupation": "擅自占用城市道路堆放物品约%d平方米。",
    "mobile_vending": "在人行道流动摆摊经营，占道约%d平方米。",
}


def _people() -> tuple[dict[int, list[Any]], Any, Any]:
    from nuanxin.accounts.models import User

    officers: dict[int, list[Any]] = {}
    for user in (
        User.objects.filter(role="officer", is_active=True).exclude(badge_no="").order_by("pk")
    ):
        if user.district_id:
            officers.setdefault(user.district_id, []).append(user)
    chief = User.objects.filter(role="chief", is_active=True).order_by("pk").first()
    reviewer = User.objects.filter(role="reviewer", is_active=True).order_by("pk").first()
    return {k: v for k, v in officers.items() if len(v) >= 2}, chief, reviewer


def seed(ctx: DemoContext) -> None:
    """Idempotent: running it twice adds nothing."""
    from nuanxin.cases.models import Case

    if Case.objects.exists():
        return
    from nuanxin.merchants.models import Merchant

    officers, chief, reviewer = _people()
    if not officers or chief is None or reviewer is None:
        ctx.say("cases: skipped (no officer pairs, chief or reviewer)")
        return
    merchants_by_district: dict[int, list[Any]] = {}
    for merchant in Merchant.objects.filter(district_id__in=officers).order_by("pk")[:400]:
        merchants_by_district.setdefault(merchant.district_id, []).append(merchant)
    districts = [d for d in officers if merchants_by_district.get(d)]
    if not districts:
        ctx.say("cases: skipped (no merchants)")
        return
    total = max(len(STAGES) - 3, min(len(STAGES), ctx.scaled(len(STAGES))))
    made = 0
    for index in range(total):
        stage, tag_code = STAGES[index % len(STAGES)]
        district = districts[index % len(districts)]
        pair = officers[district]
        lead, second = pair[index % 2], pair[(index + 1) % 2]
        merchant = ctx.rng.choice(merchants_by_district[district])
        try:
            _one(
                ctx,
                stage=stage,
                tag_code=tag_code,
                lead=lead,
                second=second,
                chief=chief,
                reviewer=reviewer,
                merchant=merchant,
                index=index,
            )
            made += 1
        except Exception as exc:  # report and go on: one bad tag must not stop the demo
            ctx.say(f"cases: {stage} {tag_code} skipped: {exc}")
    ctx.say(f"cases: {made} cases at every stage, with signed documents")


def _one(
    ctx: DemoContext,
    *,
    stage: str,
    tag_code: str,
    lead: Any,
    second: Any,
    chief: Any,
    reviewer: Any,
    merchant: Any,
    index: int,
) -> None:
    from nuanxin.cases import services
    from nuanxin.cases.models import Case
    from nuanxin.cases.services.common import PartyInfo

    today = timezone.localdate()
    size = ctx.rng.randint(3, 20)
    facts = FACTS.get(tag_code, "违法行为，数量约%d。") % size
    occurred = timezone.now() - dt.timedelta(days=60 - index, hours=ctx.rng.randint(1, 10))
    if stage == "onspot":
        party: Any = PartyInfo(
            kind="person",
            name=ctx.rng.choice(["张伟", "李娜", "王强", "刘芳"]),
            id_number=f"34160219{80 + index % 20:02d}0101{1000 + index:04d}"[:18],
        )
        proposal = services.case_propose(tag_code=tag_code, party=party, facts={})
        amount = min(proposal.amount or Decimal("50"), Decimal("200"))
        services.case_decide_onspot(
            by=lead,
            second_officer=second,
            party=party,
            proposal=proposal,
            facts=facts,
            place=merchant.address,
            occurred_at=occurred,
            fine_amount=amount,
            departure_reason=""
            if amount == proposal.amount
            else "当场处罚限额内从轻处理，当事人当场改正。",
        )
        return
    prior = 1 if index % 3 else 2
    proposal = services.case_propose(
        tag_code=tag_code, party=merchant, facts={"prior_count_in_window": prior}
    )
    departure = stage == "legal_review_departure"
    case = services.case_file(
        by=lead,
        second_officer=second,
        party=merchant,
        proposal=proposal,
        facts=facts,
        place=merchant.address,
        occurred_at=occurred,
        fine_amount=(proposal.amount_max if departure else None),
        departure_reason="当事人拒不改正并阻碍执法，建议按裁量幅度上限处罚。" if departure else "",
    )
    # Spread filing dates so the 90-day clock shows every warning level.
    filed = today - dt.timedelta(days=min(85, 5 + index * 6))
    from nuanxin.cases import clocks

    Case.objects.filter(pk=case.pk).update(filed_on=filed, decision_due=clocks.decision_due(filed))
    case.refresh_from_db()
    if stage == "filed":
        return
    if stage == "withdrawn":
        services.case_withdraw(case=case, by=chief, reason="经核实当事人认定错误，撤销立案。")
        return
    case = services.case_approve(case=case, by=chief, opinion="同意立案。")
    if stage == "investigating":
        return
    if stage == "no_penalty":
        services.case_no_penalty(
            case=case,
            by=chief,
            reason="初次违法且危害后果轻微并及时改正（第三十三条），已进行教育。",
        )
        return
    case = services.case_submit_review(case=case, by=lead, summary="调查终结，事实清楚。")
    if stage == "legal_review_departure":
        return
    opinion = "事实清楚，证据确凿，程序合法，适用法律正确，裁量适当。"
    case = services.case_review(case=case, by=reviewer, passed=True, opinion=opinion)
    if stage == "chief_approval":
        return
    case = services.case_approve(case=case, by=chief, opinion="同意。")
    served_notice = today - dt.timedelta(days=45)
    case = services.case_notify(case=case, by=lead, served_on=served_notice)
    if stage == "notified":
        Case.objects.filter(pk=case.pk).update(notice_served_on=today - dt.timedelta(days=1))
        from nuanxin.cases import clocks as c

        Case.objects.filter(pk=case.pk).update(
            statement_due=c.statement_due(today - dt.timedelta(days=1))
        )
        return
    if stage == "hearing":
        services.case_record_statement(
            case=case,
            by=lead,
            kind="hearing_request",
            content="当事人书面申请听证。",
            received_on=served_notice,
        )
        return
    services.case_record_statement(
        case=case, by=lead, kind="statement", content="当事人表示已认识错误，请求从轻处理。"
    )
    assert case.statement_due is not None
    decided_day = case.statement_due + dt.timedelta(days=1)
    case = services.case_decide(case=Case.objects.get(pk=case.pk), by=lead, today=decided_day)
    if stage == "decided":
        return
    if stage == "decided_served_electronically":
        _serve_electronically(case, lead)
        return
    served_on = today - dt.timedelta(days=25 if stage == "executing_overdue" else 3)
    case = services.case_serve(case=case, by=lead, served_on=served_on, method="paper")
    if stage == "served":
        return
    if stage == "executing_overdue":
        services.case_remind(case=case, by=lead)
        return
    services.case_record_payment(
        case=case,
        by=lead,
        amount=case.fine_amount,
        paid_on=served_on,
        channel="online",
        receipt_no=f"DEMO-{case.pk:05d}",
    )
    services.case_close(case=Case.objects.get(pk=case.pk), by=chief, reason="罚款已缴清。")


def _serve_electronically(case: Any, officer: Any) -> None:
    from nuanxin.deliveries.services import (
        delivery_consent_record,
        delivery_mark_opened,
        delivery_send,
    )
    from nuanxin.documents.models import Document

    merchant = case.merchant
    channels = ["portal"] if merchant is not None and merchant.owners.exists() else ["sms"]
    delivery_consent_record(
        party=case.party, channels=channels, addresses={"phone": "13800000000"}, by=officer
    )
    link = case.documents.get(doc_type="penalty_decision")
    delivery = delivery_send(
        document=Document.objects.get(pk=link.document_id), party=case.party, by=officer, case=case
    )
    if delivery.served_at is None:
        # The party opens the signed link from the SMS: that fixes the date of service.
        delivery_mark_opened(delivery=delivery)
