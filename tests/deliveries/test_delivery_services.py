from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from nuanxin.cases.models import Case, CaseStatus
from nuanxin.core.errors import DomainError
from nuanxin.deliveries.models import Delivery, SmsOutbox
from nuanxin.deliveries.services import (
    consent_for,
    delivery_consent_record,
    delivery_for_token,
    delivery_mark_acknowledged,
    delivery_mark_delivered,
    delivery_mark_opened,
    delivery_record_paper,
    delivery_send,
    open_link_token,
)


def _notice(p: Any, party_name: str = "老王烧烤店") -> Any:
    from nuanxin.documents.services import document_issue

    return document_issue(
        doc_type="correction_notice",
        bureau=p.bureau,
        context={
            "party_name": party_name,
            "party_address": "人民路18号",
            "facts": "店外经营",
            "articles_violated": [{"citation": "第十四条", "text": "条文"}],
            "articles_basis": [{"citation": "第三十六条", "text": "条文"}],
            "correction": "立即清理店外桌椅",
            "deadline": "2026-12-01",
        },
        signers=[p.officer_a],
        by=p.officer_a,
        party_name=party_name,
    )


def test_consent_validates_addresses(personas: Any, signing_keys: Any) -> None:
    with pytest.raises(DomainError) as bad_phone:
        delivery_consent_record(
            party=personas.merchant_shop,
            channels=["sms"],
            addresses={"phone": "12345"},
            by=personas.officer_a,
        )
    assert bad_phone.value.code == "phone"
    with pytest.raises(DomainError):
        delivery_consent_record(
            party=personas.merchant_shop, channels=["fax"], addresses={}, by=personas.officer_a
        )
    assert consent_for(personas.merchant_shop) is None


@pytest.mark.slow
def test_electronic_service_on_every_consented_channel(
    personas: Any, signing_keys: Any, settings: Any
) -> None:
    settings.SMS_GATEWAY_URL = ""
    consent = delivery_consent_record(
        party=personas.merchant_shop,
        channels=["sms", "email", "portal"],
        addresses={"phone": "13905581234", "email": "wang@example.cn"},
        by=personas.officer_a,
    )
    assert consent.document_number and consent.channels == ["portal", "email", "sms"]
    delivery = delivery_send(
        document=_notice(personas), party=personas.merchant_shop, by=personas.officer_a
    )
    attempts = {a.channel: a for a in delivery.attempts.all()}
    assert set(attempts) == {"portal", "email", "sms"}
    assert attempts["portal"].delivered_at and attempts["email"].delivered_at
    assert attempts["sms"].delivered_at is None  # no gateway: waits in the outbox
    sms = SmsOutbox.objects.get()
    assert sms.phone == "13905581234" and "/service/" in sms.text
    assert len(mail.outbox) == 1 and "wang@example.cn" in mail.outbox[0].to
    assert delivery.status == Delivery.Status.DELIVERED
    assert delivery.served_at == min(
        attempts["portal"].delivered_at, attempts["email"].delivered_at
    )
    assert "第九十条" in delivery.served_rule
    token = open_link_token(delivery)
    assert delivery_for_token(token) == delivery
    assert delivery_for_token(token + "x") is None
    delivery = delivery_mark_opened(delivery=delivery)
    delivery = delivery_mark_acknowledged(delivery=delivery)
    assert delivery.status == Delivery.Status.ACKNOWLEDGED
    kinds = list(delivery.events.values_list("kind", flat=True))
    assert kinds.count("sent") == 3 and "opened" in kinds and "acknowledged" in kinds


@pytest.mark.slow
def test_sms_only_service_date_is_the_gateway_receipt_or_the_opening(
    personas: Any, signing_keys: Any
) -> None:
    delivery_consent_record(
        party=personas.merchant_shop,
        channels=["sms"],
        addresses={"phone": "13905581234"},
        by=personas.officer_a,
    )
    delivery = delivery_send(
        document=_notice(personas), party=personas.merchant_shop, by=personas.officer_a
    )
    assert delivery.status == Delivery.Status.SENT and delivery.served_at is None
    receipt_at = timezone.now() - dt.timedelta(minutes=5)
    delivery = delivery_mark_delivered(delivery=delivery, channel="sms", at=receipt_at)
    assert delivery.served_at == receipt_at
    later = delivery_mark_opened(delivery=delivery)
    assert later.served_at == receipt_at  # the first arrival fixes the date


@pytest.mark.slow
def test_without_consent_service_falls_back_to_paper_with_a_receipt(
    personas: Any, signing_keys: Any
) -> None:
    delivery = delivery_send(
        document=_notice(personas), party=personas.merchant_shop, by=personas.officer_a
    )
    assert delivery.status == Delivery.Status.PAPER_PENDING and not delivery.attempts.exists()
    signed = timezone.now() - dt.timedelta(hours=1)
    delivery = delivery_record_paper(
        delivery=delivery,
        by=personas.officer_a,
        received_at=signed,
        place="人民路18号店内",
        receiver_note="当事人王大明签收",
    )
    assert delivery.served_at == signed and delivery.receipt_document_id
    from nuanxin.documents.models import Document

    assert Document.objects.get(pk=delivery.receipt_document_id).doc_type == "service_receipt"


@pytest.mark.slow
def test_operator_is_served_through_its_inbox_without_a_human(
    personas: Any, signing_keys: Any
) -> None:
    delivery_consent_record(
        party=personas.operator, channels=["portal"], addresses={}, by=personas.operator_admin
    )
    delivery = delivery_send(
        document=_notice(personas, "青桔单车"), party=personas.operator, by=None
    )
    assert delivery.status == Delivery.Status.DELIVERED and delivery.served_at is not None
    assert delivery.operator == personas.operator


@pytest.mark.slow
def test_serving_a_decision_starts_the_payment_clock(
    personas: Any, signing_keys: Any, file_case: Any
) -> None:
    from nuanxin.cases.services import (
        case_approve,
        case_decide,
        case_notify,
        case_record_statement,
        case_review,
        case_submit_review,
    )
    from nuanxin.documents.models import Document

    p = personas
    case = case_approve(case=file_case(), by=p.chief)
    case = case_submit_review(case=case, by=p.officer_a)
    case = case_review(case=case, by=p.reviewer, passed=True, opinion="同意")
    case = case_approve(case=case, by=p.chief)
    case = case_notify(case=case, by=p.officer_a)
    case_record_statement(case=case, by=p.officer_a, kind="waiver", content="放弃")
    case = case_decide(case=Case.objects.get(pk=case.pk), by=p.officer_a)
    decision = Document.objects.get(pk=case.documents.get(doc_type="penalty_decision").document_id)
    delivery_consent_record(
        party=p.merchant_shop, channels=["portal"], addresses={}, by=p.officer_a
    )
    delivery = delivery_send(document=decision, party=p.merchant_shop, by=p.officer_a)
    assert delivery.case == case
    case = Case.objects.get(pk=case.pk)
    assert case.status == CaseStatus.SERVED
    assert case.served_on == timezone.localdate(delivery.served_at)
    assert case.payment_due is not None


@pytest.mark.slow
def test_electronic_service_of_the_prior_notice_starts_the_statement_clock(
    personas: Any, signing_keys: Any, file_case: Any
) -> None:
    from nuanxin.cases.services import (
        case_approve,
        case_notify,
        case_review,
        case_submit_review,
    )
    from nuanxin.documents.models import Document
    from nuanxin.lib.workdays import add_working_days

    p = personas
    case = case_approve(case=file_case(), by=p.chief)
    case = case_submit_review(case=case, by=p.officer_a)
    case = case_review(case=case, by=p.reviewer, passed=True, opinion="同意")
    case = case_approve(case=case, by=p.chief)
    case = case_notify(case=case, by=p.officer_a, served_on=dt.date(2026, 1, 5))
    notice = Document.objects.get(pk=case.documents.get(doc_type="prior_notice").document_id)
    delivery_consent_record(party=case.party, channels=["portal"], addresses={}, by=p.officer_a)
    delivery = delivery_send(document=notice, party=case.party, by=p.officer_a)
    case = Case.objects.get(pk=case.pk)
    served = timezone.localdate(delivery.served_at)
    assert case.notice_served_on == served
    assert case.statement_due == add_working_days(served, 5)
