"""From filing approval to the decision: review, approval, prior notice, statements, decision."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import snapshot
from nuanxin.cases import clocks
from nuanxin.cases.models import Case, CaseStatus
from nuanxin.cases.services.common import (
    AUDIT_FIELDS,
    ensure,
    evidence_context,
    issue_document,
    lock,
    money_text,
    penalty_text,
    record_action,
    require_case_officer,
    require_chief,
    transition,
)
from nuanxin.cases.services.filing import _court, _review_body
from nuanxin.core.errors import Conflict, DomainError, NotAllowed

S = CaseStatus


def _chief_not_on_case(case: Case, chief: Any) -> None:
    if chief.pk in case.officers():
        raise NotAllowed("chief_is_officer", _("承办人员不能审批自己承办的案件。"))


@transaction.atomic
def case_approve(
    *,
    case: Case,
    by: Any,
    approve: bool = True,
    opinion: str = "",
    source_ip: str | None = None,
) -> Case:
    """The chief's approval, signed with the chief's own key.

    At 立案 it approves filing (立案审批表) and the case moves to 调查取证; at 负责人审批 it
    approves the proposed penalty, after which the prior notice may be issued. `approve=False`
    sends the case back to investigation with the opinion.
    """
    require_chief(by)
    case = lock(case)
    _chief_not_on_case(case, by)
    opinion = opinion.strip()
    before = snapshot(case, AUDIT_FIELDS)
    if case.status == S.FILED:
        if not approve:
            ensure(bool(opinion), "opinion", _("不予立案须说明理由。"))
            case.chief = by
            case.outcome_note = opinion
            case.save(update_fields=["chief", "outcome_note"])
            transition(
                case=case,
                to=S.WITHDRAWN,
                by=by,
                kind="filing_refuse",
                note=opinion,
                source_ip=source_ip,
                before=before,
                extra_fields=[],
            )
            return case
        case.chief = by
        case.filing_approved_at = timezone.now()
        case.save(update_fields=["chief", "filing_approved_at"])
        issue_document(
            case=case,
            doc_type="filing_approval",
            context={
                "case_source": _("执法检查发现"),
                "cause": case.tag_name,
                "party_name": case.party_name,
                "party_address": case.party_address or case.place,
                "facts": case.facts,
                "evidence": evidence_context(case),
                "articles_violated": case.articles_violated,
                "handler_opinion": _("建议立案调查。承办人：%(a)s、%(b)s")
                % {"a": case.lead_officer, "b": case.second_officer},
                "chief_opinion": opinion or _("同意立案。"),
            },
            signers=[by],
            by=by,
            seal=False,
            source_ip=source_ip,
        )
        transition(
            case=case,
            to=S.INVESTIGATING,
            by=by,
            kind="filing_approve",
            note=opinion,
            source_ip=source_ip,
            before=before,
        )
        return case
    if case.status == S.CHIEF_APPROVAL:
        if case.penalty_approved_at:
            raise Conflict("already_approved", _("处罚意见已经批准，无需重复审批。"))
        if not approve:
            ensure(bool(opinion), "opinion", _("退回须填写意见。"))
            case.chief = by
            case.save(update_fields=["chief"])
            transition(
                case=case,
                to=S.INVESTIGATING,
                by=by,
                kind="approval_return",
                note=opinion,
                source_ip=source_ip,
                before=before,
            )
            return case
        case.chief = by
        case.penalty_approved_at = timezone.now()
        case.approved_amount = case.fine_amount
        case.save(update_fields=["chief", "penalty_approved_at", "approved_amount"])
        record_action(
            case=case,
            kind="penalty_approve",
            by=by,
            note=opinion,
            data={"amount": money_text(case.fine_amount)},
            source_ip=source_ip,
            before=before,
        )
        return case
    raise Conflict(
        "nothing_to_approve",
        _("案件处于“%(now)s”阶段，没有待负责人审批的事项。") % {"now": S(case.status).label},
    )


@transaction.atomic
def case_submit_review(
    *, case: Case, by: Any, summary: str = "", source_ip: str | None = None
) -> Case:
    """调查终结: the officer sends the case to legal review (法制审核, Art. 58)."""
    require_case_officer(case, by, what=_("提交法制审核"))
    case = lock(case)
    transition(
        case=case,
        to=S.LEGAL_REVIEW,
        by=by,
        kind="submit_review",
        note=summary.strip(),
        source_ip=source_ip,
    )
    return case


@transaction.atomic
def case_review(
    *, case: Case, by: Any, passed: bool, opinion: str, source_ip: str | None = None
) -> Case:
    """法制审核: pass to the chief, or return to investigation, with a written opinion."""
    if by.role != "reviewer":
        raise NotAllowed("not_reviewer", _("只有法制审核人员可以审核。"))
    case = lock(case)
    opinion = opinion.strip()
    ensure(bool(opinion), "opinion", _("请填写审核意见。"))
    if passed and case.departure_flagged and len(opinion) < 10:
        raise DomainError(
            "departure_opinion",
            _("本案偏离裁量基准，审核意见须对偏离理由作出评价（至少10个字）。"),
        )
    before = snapshot(case, AUDIT_FIELDS)
    case.reviewer = by
    case.review_opinion = opinion
    case.save(update_fields=["reviewer", "review_opinion"])
    transition(
        case=case,
        to=S.CHIEF_APPROVAL if passed else S.INVESTIGATING,
        by=by,
        kind="review_pass" if passed else "review_return",
        note=opinion,
        source_ip=source_ip,
        before=before,
    )
    return case


@transaction.atomic
def case_notify(
    *, case: Case, by: Any, served_on: dt.date | None = None, source_ip: str | None = None
) -> Case:
    """事先告知 (Art. 44, 45, 63, 64): issue the notice; the 5-working-day clock starts at service."""
    require_case_officer(case, by, what=_("送达事先告知书"))
    case = lock(case)
    before = snapshot(case, AUDIT_FIELDS)
    served_on = served_on or timezone.localdate()
    check = case.can_transition_to(S.NOTIFIED)
    if not check:
        raise Conflict("illegal_transition", check.reason)
    issue_document(
        case=case,
        doc_type="prior_notice",
        context={
            "party_name": case.party_name,
            "party_address": case.party_address or case.place,
            "facts": case.facts,
            "evidence": evidence_context(case),
            "articles_violated": case.articles_violated,
            "articles_penalty": case.articles_penalty,
            "proposed_penalty": penalty_text(case),
            "hearing_right": _(
                "你（单位）有权在收到本告知书之日起五个工作日内提出陈述、申辩；"
                "符合听证条件的，可以要求举行听证。逾期视为放弃上述权利。"
            ),
            "contact": f"{case.lead_officer} {case.district.phone or case.bureau.phone}",
            "contact_address": case.bureau.address or case.bureau.name,
        },
        signers=[case.chief or by],
        by=by,
        source_ip=source_ip,
    )
    case.notice_served_on = served_on
    case.statement_due = clocks.statement_due(served_on)
    transition(
        case=case,
        to=S.NOTIFIED,
        by=by,
        kind="notify",
        source_ip=source_ip,
        before=before,
        extra_fields=["notice_served_on", "statement_due"],
        data={"statement_due": case.statement_due.isoformat()},
    )
    return case


STATEMENT_KINDS = {"statement", "defence", "hearing_request", "waiver", "hearing_held"}


@transaction.atomic
def case_record_statement(
    *,
    case: Case,
    by: Any,
    kind: str,
    content: str,
    received_on: dt.date | None = None,
    source_ip: str | None = None,
) -> Case:
    """Record the party's 陈述、申辩, a hearing request, a waiver, or the hearing record."""
    require_case_officer(case, by, what=_("记录陈述申辩"))
    if kind not in STATEMENT_KINDS:
        raise DomainError("statement_kind", _("未知的记录类型：%s") % kind)
    case = lock(case)
    received_on = received_on or timezone.localdate()
    ensure(bool(content.strip()), "content", _("请填写内容。"))
    if case.status not in (S.NOTIFIED, S.HEARING):
        raise Conflict("not_notified", _("只有在事先告知之后才能记录陈述申辩或听证。"))
    before = snapshot(case, AUDIT_FIELDS)
    if kind == "hearing_request":
        assert case.statement_due is not None
        if received_on > case.statement_due:
            raise DomainError(
                "hearing_late",
                _("听证申请期限已于%(due)s届满（告知后五个工作日，第六十四条）。")
                % {"due": case.statement_due.isoformat()},
            )
        case.hearing_requested = True
        case.save(update_fields=["hearing_requested"])
        transition(
            case=case,
            to=S.HEARING,
            by=by,
            kind="hearing_request",
            note=content,
            source_ip=source_ip,
            before=before,
            data={"received_on": received_on.isoformat()},
        )
        return case
    if kind == "hearing_held" and case.status != S.HEARING:
        raise Conflict("no_hearing", _("当事人未申请听证。"))
    if kind == "waiver":
        case.statement_waived = True
        case.save(update_fields=["statement_waived"])
    record_action(
        case=case,
        kind=kind,
        by=by,
        note=content.strip(),
        source_ip=source_ip,
        before=before,
        data={"received_on": received_on.isoformat()},
    )
    return case


@transaction.atomic
def case_decide(
    *,
    case: Case,
    by: Any,
    fine_amount: Decimal | None = None,
    opinion: str = "",
    source_ip: str | None = None,
    today: dt.date | None = None,
) -> Case:
    """行政处罚决定 (Art. 57, 59): the decision, signed by the approving chief and sealed.

    The fine may not exceed what was notified (Art. 45: no heavier penalty for defending).
    """
    case = lock(case)
    if not (by.role == "chief" or by.pk in case.officers()):
        raise NotAllowed("not_allowed", _("只有本案承办人员或负责人可以作出决定。"))
    today = today or timezone.localdate()
    before = snapshot(case, AUDIT_FIELDS)
    if fine_amount is not None:
        fine_amount = Decimal(fine_amount).quantize(Decimal("0.01"))
        if case.approved_amount is not None and fine_amount > case.approved_amount:
            raise DomainError(
                "heavier_than_notified",
                _(
                    "决定的罚款不得高于事先告知的%(amount)s元（第四十五条：不得因当事人陈述、申辩而给予更重的处罚）。"
                )
                % {"amount": money_text(case.approved_amount)},
            )
        case.fine_amount = fine_amount
    check = case.can_transition_to(S.DECIDED, today=today)
    if not check:
        raise Conflict("illegal_transition", check.reason)
    if case.chief is None:
        raise Conflict("no_chief", _("案件尚无审批负责人。"))
    case.decided_on = today
    case.save(update_fields=["fine_amount", "decided_on"])
    issue_document(
        case=case,
        doc_type="penalty_decision",
        context={
            "party_name": case.party_name,
            "party_id": case.party_id_number or "—",
            "party_address": case.party_address or case.place,
            "facts": case.facts,
            "evidence": evidence_context(case),
            "articles_violated": case.articles_violated,
            "articles_penalty": case.articles_penalty,
            "penalty": penalty_text(case),
            **({} if case.warning_only else {"fine_amount": case.fine_amount}),
            "execution": _("自收到本决定书之日起十五日内缴纳罚款（第六十七条）。")
            if not case.warning_only
            else _("警告，自本决定书送达之日起执行。"),
            "payment_place": _("指定银行或电子缴款（缴款码）"),
            "payment_deadline": _("收到本决定书之日起十五日内"),
            "review_body": _review_body(case),
            "court": _court(case),
        },
        signers=[case.chief],
        by=by,
        source_ip=source_ip,
    )
    transition(
        case=case,
        to=S.DECIDED,
        by=by,
        kind="decide",
        note=opinion.strip(),
        source_ip=source_ip,
        before=before,
        today=today,
        data={"amount": money_text(case.fine_amount)},
    )
    return case


@transaction.atomic
def case_notice_served(
    *,
    case: Case,
    served_on: dt.date,
    by: Any = None,
    delivery: Any = None,
    source_ip: str | None = None,
) -> Case:
    """The prior notice reached the party on `served_on` (e.g. electronic service): the
    5-working-day statement/hearing clock runs from that date, not from issue."""
    case = lock(case)
    if case.status not in (S.NOTIFIED, S.HEARING):
        raise Conflict("not_notified", _("案件不在事先告知阶段。"))
    before = snapshot(case, AUDIT_FIELDS)
    case.notice_served_on = served_on
    case.statement_due = clocks.statement_due(served_on)
    case.save(update_fields=["notice_served_on", "statement_due"])
    record_action(
        case=case,
        kind="notice_served",
        by=by,
        source_ip=source_ip,
        before=before,
        data={
            "served_on": served_on.isoformat(),
            "statement_due": case.statement_due.isoformat(),
            "delivery": getattr(delivery, "pk", None),
        },
    )
    return case
