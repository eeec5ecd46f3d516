from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from nuanxin.audit.models import AuditEvent
from nuanxin.cases.models import Case, CaseStatus
from nuanxin.cases.services import (
    case_approve,
    case_close,
    case_decide,
    case_notify,
    case_record_payment,
    case_record_statement,
    case_remind,
    case_review,
    case_serve,
    case_submit_review,
    case_withdraw,
)
from nuanxin.core.errors import Conflict, DomainError, NotAllowed

S = CaseStatus


def _to_chief_approval(case: Any, p: Any) -> Any:
    case = case_approve(case=case, by=p.chief, opinion="同意立案")
    case = case_submit_review(case=case, by=p.officer_a, summary="调查终结")
    return case_review(
        case=case, by=p.reviewer, passed=True, opinion="事实清楚，证据确凿，适用法律正确。"
    )


@pytest.mark.slow
def test_ordinary_case_runs_from_filing_to_closing_with_signed_documents(
    personas: Any, signing_keys: Any, file_case: Any
) -> None:
    from nuanxin.documents.models import Document

    p = personas
    case = file_case()
    assert case.status == S.FILED
    assert (
        case.decision_due == case.filed_on + dt.timedelta(days=90)
        or case.decision_due > case.filed_on
    )
    case = _to_chief_approval(case, p)
    assert case.status == S.CHIEF_APPROVAL
    case = case_approve(case=case, by=p.chief, opinion="同意")
    served = timezone.localdate()
    case = case_notify(case=case, by=p.officer_a, served_on=served)
    assert case.status == S.NOTIFIED and case.statement_due > served
    with pytest.raises(Conflict) as refused:
        case_decide(case=case, by=p.officer_a, today=served)
    assert "届满" in refused.value.message
    case = case_decide(case=case, by=p.officer_a, today=case.statement_due + dt.timedelta(days=1))
    assert case.status == S.DECIDED
    decision = Document.objects.get(pk=case.documents.get(doc_type="penalty_decision").document_id)
    assert decision.sealed and decision.signers[0]["user_id"] == p.chief.pk
    assert decision.pdf.read()[:5] == b"%PDF-"
    case = case_serve(case=case, by=p.officer_a, served_on=case.decided_on, method="paper")
    assert (
        case.payment_due == case.decided_on + dt.timedelta(days=15)
        or case.payment_due > case.decided_on
    )
    from nuanxin.credit.models import CreditEvent

    assert CreditEvent.objects.filter(merchant=p.merchant_shop, kind="penalty").count() == 1
    case_record_payment(
        case=case,
        by=p.officer_a,
        amount="1000.00",
        paid_on=case.served_on,
        channel="bank",
        receipt_no="PJ-0001",
    )
    case = Case.objects.get(pk=case.pk)
    assert case.status == S.EXECUTING
    case = case_close(case=case, by=p.chief, today=case.served_on)
    assert case.status == S.CLOSED
    kinds = list(case.documents.values_list("doc_type", flat=True))
    assert kinds == ["filing_approval", "prior_notice", "penalty_decision", "closing_approval"]
    actions = list(
        AuditEvent.objects.filter(object_id=str(case.pk), action__startswith="case.").values_list(
            "action", flat=True
        )
    )
    for expected in [
        "case.file",
        "case.filing_approve",
        "case.submit_review",
        "case.review_pass",
        "case.penalty_approve",
        "case.notify",
        "case.decide",
        "case.serve",
        "case.payment",
        "case.close",
    ]:
        assert expected in actions


def test_illegal_transitions_are_refused_with_a_reason(personas: Any, file_case: Any) -> None:
    case = file_case()
    check = case.can_transition_to(S.DECIDED)
    assert not check and "立案" in check.reason and "决定" in check.reason
    assert not case.can_transition_to(S.INVESTIGATING)  # filing not yet approved
    assert "负责人" in case.can_transition_to(S.INVESTIGATING).reason
    with pytest.raises(Conflict):
        case_submit_review(case=case, by=personas.officer_a)
    assert Case.objects.get(pk=case.pk).status == S.FILED
    assert not case.can_transition_to("nonsense")


def test_notice_needs_the_chiefs_penalty_approval(
    personas: Any, signing_keys: Any, file_case: Any
) -> None:
    case = _to_chief_approval(file_case(), personas)
    with pytest.raises(Conflict) as refused:
        case_notify(case=case, by=personas.officer_a)
    assert "负责人" in refused.value.message


def test_a_reviewer_posing_as_chief_is_refused(personas: Any, file_case: Any) -> None:
    case = file_case()
    for impostor in (personas.reviewer, personas.admin, personas.officer_a, personas.dispatcher):
        with pytest.raises(NotAllowed):
            case_approve(case=case, by=impostor)
    assert Case.objects.get(pk=case.pk).filing_approved_at is None


def test_only_a_reviewer_reviews(personas: Any, signing_keys: Any, file_case: Any) -> None:
    case = case_approve(case=file_case(), by=personas.chief)
    case = case_submit_review(case=case, by=personas.officer_a2)
    with pytest.raises(NotAllowed):
        case_review(case=case, by=personas.chief, passed=True, opinion="同意")
    case = case_review(
        case=case, by=personas.reviewer, passed=False, opinion="证据不足，补充询问笔录"
    )
    assert case.status == S.INVESTIGATING and case.review_opinion.startswith("证据不足")


def test_two_qualified_officers_are_required(personas: Any, file_case: Any) -> None:
    with pytest.raises(DomainError):
        file_case(second_officer=personas.officer_a)
    with pytest.raises(NotAllowed):
        file_case(second_officer=personas.chief)  # the approving chief cannot investigate
    with pytest.raises(NotAllowed):
        file_case(second_officer=personas.reviewer)
    personas.officer_a2.badge_no = ""
    personas.officer_a2.save()
    with pytest.raises(NotAllowed) as refused:
        file_case()
    assert "执法证" in refused.value.message
    with pytest.raises(NotAllowed):
        file_case(by=personas.dispatcher)
    assert Case.objects.count() == 0


def test_departure_needs_a_reason_and_is_flagged_for_review(personas: Any, file_case: Any) -> None:
    with pytest.raises(DomainError) as refused:
        file_case(fine_amount="1500.00")
    assert refused.value.code == "departure_reason"
    assert Case.objects.count() == 0
    case = file_case(fine_amount="1500.00", departure_reason="拒不改正且当场阻碍执法，情节较重。")
    assert case.departure_flagged and case.fine_amount == Decimal("1500.00")
    plain = file_case()
    assert not plain.departure_flagged and plain.fine_amount == Decimal("1000.00")
    heavier_level = file_case(level="heavier", departure_reason="一年内第三次违法，从重处罚。")
    assert heavier_level.departure_flagged


def test_reviewer_must_address_a_departure(
    personas: Any, signing_keys: Any, file_case: Any
) -> None:
    case = file_case(fine_amount="1500.00", departure_reason="拒不改正且当场阻碍执法，情节较重。")
    case = case_approve(case=case, by=personas.chief)
    case = case_submit_review(case=case, by=personas.officer_a)
    with pytest.raises(DomainError) as refused:
        case_review(case=case, by=personas.reviewer, passed=True, opinion="同意")
    assert refused.value.code == "departure_opinion"


def test_hearing_request_within_five_working_days(
    personas: Any, signing_keys: Any, file_case: Any
) -> None:
    case = _to_chief_approval(file_case(), personas)
    case = case_approve(case=case, by=personas.chief)
    case = case_notify(case=case, by=personas.officer_a, served_on=dt.date(2026, 9, 29))
    assert case.statement_due == dt.date(2026, 10, 12)  # 国庆 and 调休 counted per Art. 85
    with pytest.raises(DomainError):
        case_record_statement(
            case=case,
            by=personas.officer_a,
            kind="hearing_request",
            content="申请听证",
            received_on=dt.date(2026, 10, 13),
        )
    case = case_record_statement(
        case=case,
        by=personas.officer_a,
        kind="hearing_request",
        content="申请听证",
        received_on=dt.date(2026, 10, 12),
    )
    assert case.status == S.HEARING
    with pytest.raises(DomainError) as refused:
        case_decide(case=case, by=personas.chief, fine_amount=Decimal("1200"))
    assert refused.value.code == "heavier_than_notified"
    case = case_decide(case=case, by=personas.chief, fine_amount=Decimal("800"))
    assert case.status == S.DECIDED and case.fine_amount == Decimal("800.00")


def test_late_payment_surcharge_blocks_closing_until_paid(
    personas: Any, signing_keys: Any, file_case: Any
) -> None:
    case = _to_chief_approval(file_case(), personas)
    case = case_approve(case=case, by=personas.chief)
    case = case_notify(case=case, by=personas.officer_a)
    case_record_statement(case=case, by=personas.officer_a, kind="waiver", content="放弃陈述申辩")
    case = case_decide(case=Case.objects.get(pk=case.pk), by=personas.officer_a)
    served = dt.date(2026, 3, 2)
    Case.objects.filter(pk=case.pk).update(decided_on=served)
    case = case_serve(case=case, by=personas.officer_a, served_on=served, method="paper")
    late = dt.date(2026, 3, 20)  # 3 days late → 90.00
    assert case.amount_outstanding(late) == Decimal("1090.00")
    case_remind(case=case, by=personas.officer_a, today=late)
    case_record_payment(
        case=case,
        by=personas.officer_a,
        amount="1000",
        paid_on=late,
        channel="bank",
        receipt_no="A1",
    )
    case = Case.objects.get(pk=case.pk)
    assert case.surcharge_as_of(dt.date(2026, 12, 1)) == Decimal("90.00")  # stops at full payment
    with pytest.raises(Conflict) as refused:
        case_close(case=case, by=personas.chief, today=late)
    assert "90.00" in refused.value.message
    with pytest.raises(DomainError):
        case_record_payment(
            case=case,
            by=personas.officer_a,
            amount="100",
            paid_on=late,
            channel="bank",
            receipt_no="A2",
        )
    case_record_payment(
        case=case, by=personas.officer_a, amount="90", paid_on=late, channel="bank", receipt_no="A2"
    )
    case = case_close(case=Case.objects.get(pk=case.pk), by=personas.chief, today=late)
    assert case.status == S.CLOSED


def test_withdraw_is_for_the_chief_and_is_final(personas: Any, file_case: Any) -> None:
    case = file_case()
    with pytest.raises(NotAllowed):
        case_withdraw(case=case, by=personas.officer_a, reason="当事人认定错误")
    case = case_withdraw(case=case, by=personas.chief, reason="当事人认定错误")
    assert case.status == S.WITHDRAWN
    assert not case.can_transition_to(S.INVESTIGATING)
