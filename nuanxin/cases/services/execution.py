"""After the decision: service, payment, 催告, closing; and the withdrawn/不予处罚 branches."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import snapshot
from nuanxin.cases import clocks
from nuanxin.cases.models import Case, CasePayment, CaseStatus
from nuanxin.cases.services.common import (
    AUDIT_FIELDS,
    credit_penalty_record,
    ensure,
    issue_document,
    lock,
    money_text,
    penalty_text,
    record_action,
    require_case_officer,
    require_chief,
    transition,
)
from nuanxin.core.errors import Conflict, DomainError, NotAllowed

S = CaseStatus


@transaction.atomic
def case_serve(
    *,
    case: Case,
    by: Any,
    served_on: dt.date,
    method: str,
    delivery: Any = None,
    source_ip: str | None = None,
) -> Case:
    """The decision reached the party on `served_on` (the legal date of service).

    `delivery` is the deliveries.Delivery that served it electronically, or None for paper
    service with a 送达回证 recorded by the officer. The 15-day payment clock starts here.
    """
    if by is not None and getattr(by, "pk", None) and by.role != "chief":
        require_case_officer(case, by, what=_("登记送达"))
    case = lock(case)
    before = snapshot(case, AUDIT_FIELDS)
    if case.decided_on and served_on < case.decided_on:
        raise DomainError("served_before_decision", _("送达日期不能早于决定日期。"))
    case.served_on = served_on
    case.payment_due = None if case.warning_only else clocks.payment_due(served_on)
    transition(
        case=case,
        to=S.SERVED,
        by=by,
        kind="serve",
        source_ip=source_ip,
        before=before,
        extra_fields=["served_on", "payment_due"],
        data={
            "method": method,
            "delivery": getattr(delivery, "pk", None),
            "served_on": served_on.isoformat(),
        },
    )
    credit_penalty_record(case, by=by)
    return case


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError) as exc:
        raise DomainError("bad_amount", _("金额格式不正确：%s") % value) from exc
    if amount <= 0:
        raise DomainError("bad_amount", _("缴款金额必须大于零。"))
    return amount


@transaction.atomic
def case_record_payment(
    *,
    case: Case,
    by: Any,
    amount: Any,
    paid_on: dt.date,
    channel: str,
    receipt_no: str,
    source_ip: str | None = None,
) -> CasePayment:
    """Record a payment (fine and any 加处罚款); the case moves to 执行."""
    if by.role not in ("officer", "chief", "reviewer"):
        raise NotAllowed("not_allowed", _("您的角色无权登记缴款。"))
    case = lock(case)
    value = _amount(amount)
    ensure(bool(receipt_no.strip()), "receipt_no", _("请填写缴款票据号。"))
    if channel not in CasePayment.Channel.values:
        raise DomainError("channel", _("未知的缴款方式：%s") % channel)
    if case.status not in (S.SERVED, S.EXECUTING):
        raise Conflict(
            "not_payable",
            _("案件处于“%(now)s”阶段，不能登记缴款。") % {"now": S(case.status).label},
        )
    if case.warning_only:
        raise Conflict("warning_only", _("本案为警告，无罚款可缴。"))
    assert case.served_on is not None
    if paid_on < case.served_on:
        raise DomainError("paid_before_service", _("缴款日期不能早于送达日期。"))
    # Art. 68: cash on the spot only for fines up to 100 yuan (or hard-to-collect cases).
    if channel == CasePayment.Channel.ONSPOT and case.fine_amount > Decimal("100"):
        raise DomainError("onspot_cash", _("当场收缴罚款仅限一百元以下（第六十八条）。"))
    outstanding = case.amount_outstanding(paid_on)
    if value > outstanding:
        raise DomainError(
            "overpayment",
            _("缴款%(amount)s元超过应缴余额%(due)s元。")
            % {"amount": money_text(value), "due": money_text(outstanding)},
        )
    before = snapshot(case, AUDIT_FIELDS)
    try:
        with transaction.atomic():
            payment = CasePayment.objects.create(
                case=case,
                amount=value,
                paid_on=paid_on,
                channel=channel,
                receipt_no=receipt_no.strip(),
                recorded_by=by,
            )
    except IntegrityError as exc:
        raise Conflict("duplicate_receipt", _("票据号%s已登记。") % receipt_no) from exc
    case.refresh_from_db()
    data = {"amount": money_text(value), "paid_on": paid_on.isoformat(), "receipt_no": receipt_no}
    if case.status == S.SERVED:
        transition(
            case=case,
            to=S.EXECUTING,
            by=by,
            kind="payment",
            source_ip=source_ip,
            before=before,
            data=data,
        )
    else:
        record_action(
            case=case, kind="payment", by=by, source_ip=source_ip, before=before, data=data
        )
    return payment


@transaction.atomic
def case_remind(
    *, case: Case, by: Any, today: dt.date | None = None, source_ip: str | None = None
) -> Case:
    """催告 (行政强制法 Art. 35, 54): once the payment period has lapsed unpaid."""
    require_case_officer(case, by, what=_("催告"))
    case = lock(case)
    today = today or timezone.localdate()
    if case.status not in (S.SERVED, S.EXECUTING) or case.payment_due is None:
        raise Conflict("not_payable", _("案件不在执行阶段。"))
    if today <= case.payment_due:
        raise Conflict(
            "not_due", _("缴款期限%s尚未届满，不能催告。") % case.payment_due.isoformat()
        )
    outstanding = case.amount_outstanding(today)
    if outstanding <= 0:
        raise Conflict("paid", _("罚款已缴清。"))
    before = snapshot(case, AUDIT_FIELDS)
    case.reminded_at = timezone.now()
    surcharge = case.surcharge_as_of(today)
    data = {"outstanding": money_text(outstanding), "surcharge": money_text(surcharge)}
    if case.status == S.SERVED:
        transition(
            case=case,
            to=S.EXECUTING,
            by=by,
            kind="remind",
            source_ip=source_ip,
            before=before,
            extra_fields=["reminded_at"],
            data=data,
        )
    else:
        case.save(update_fields=["reminded_at"])
        record_action(
            case=case, kind="remind", by=by, source_ip=source_ip, before=before, data=data
        )
    return case


@transaction.atomic
def case_close(
    *,
    case: Case,
    by: Any,
    reason: str = "",
    today: dt.date | None = None,
    source_ip: str | None = None,
) -> Case:
    """结案: the chief approves closing once the decision is carried out (结案审批表)."""
    require_chief(by)
    case = lock(case)
    today = today or timezone.localdate()
    check = case.can_transition_to(S.CLOSED, today=today)
    if not check:
        raise Conflict("illegal_transition", check.reason)
    before = snapshot(case, AUDIT_FIELDS)
    decision = case.documents.filter(doc_type__in=["penalty_decision", "onspot_decision"]).first()
    paid = case.paid_total()
    issue_document(
        case=case,
        doc_type="closing_approval",
        context={
            "cause": case.tag_name,
            "party_name": case.party_name,
            **({"decision_number": decision.number} if decision else {}),
            "penalty_result": penalty_text(case)
            if case.status != S.NO_PENALTY
            else _("不予行政处罚"),
            "execution_result": _("已缴纳罚款及加处罚款共%(paid)s元。") % {"paid": money_text(paid)}
            if paid
            else _("无罚款执行事项。"),
            "closing_reason": reason.strip() or _("处罚决定已执行完毕。"),
            "handler_opinion": _("建议结案。"),
            "chief_opinion": _("同意结案。"),
        },
        signers=[by],
        by=by,
        seal=False,
        source_ip=source_ip,
    )
    case.closed_on = today
    transition(
        case=case,
        to=S.CLOSED,
        by=by,
        kind="close",
        note=reason.strip(),
        source_ip=source_ip,
        before=before,
        today=today,
        extra_fields=["closed_on"],
    )
    return case


@transaction.atomic
def case_withdraw(*, case: Case, by: Any, reason: str, source_ip: str | None = None) -> Case:
    """撤销立案: the chief withdraws a case filed in error (no violation, wrong party…)."""
    require_chief(by)
    case = lock(case)
    ensure(len(reason.strip()) >= 4, "reason", _("请说明撤销理由。"))
    case.outcome_note = reason.strip()
    case.closed_on = timezone.localdate()
    transition(
        case=case,
        to=S.WITHDRAWN,
        by=by,
        kind="withdraw",
        note=reason.strip(),
        source_ip=source_ip,
        extra_fields=["outcome_note", "closed_on"],
    )
    return case


@transaction.atomic
def case_no_penalty(*, case: Case, by: Any, reason: str, source_ip: str | None = None) -> Case:
    """不予处罚 (Art. 33, 57(二)): the chief decides not to punish; education is recorded."""
    require_chief(by)
    case = lock(case)
    ensure(len(reason.strip()) >= 4, "reason", _("请说明不予处罚的理由。"))
    case.outcome_note = reason.strip()
    case.level = Case.Level.NONE
    case.fine_amount = Decimal("0.00")
    transition(
        case=case,
        to=S.NO_PENALTY,
        by=by,
        kind="no_penalty",
        note=reason.strip(),
        source_ip=source_ip,
        extra_fields=["outcome_note", "level", "fine_amount"],
    )
    return case
