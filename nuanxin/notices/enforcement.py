"""Adapter to the enforcement pipeline: law tag + discretion → sealed penalty decision →
electronic service to the operator. Kept in one place so the penalty job stays small."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.accounts.models import User
from nuanxin.core.errors import DomainError
from nuanxin.lib.env import envstr
from nuanxin.notices.models import Notice, PenaltyDecision

log = logging.getLogger(__name__)
TAG_CODE = "shared_bike_parking"
SYSTEM_USERNAME = "system-bike-enforcement"
REMEDIES = {
    "review_body": envstr("NOTICE_REVIEW_BODY", "亳州市人民政府"),
    "court": envstr("NOTICE_COURT", "亳州市谯城区人民法院"),
}


@dataclass
class Issued:
    amount: Decimal | None
    document: Any
    delivery: Any
    note: str


def system_user() -> User:
    """The account that issues non-contact decisions (it cannot log in)."""
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"display_name": "非现场执法系统", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _bureau() -> Any:
    from nuanxin.orgs.models import Bureau

    code = envstr("NOTICE_BUREAU_CODE")
    qs = Bureau.objects.order_by("pk")
    return (qs.filter(code=code) if code else qs).first()


def _articles(articles: Any) -> list[dict[str, str]]:
    out = []
    for a in articles:
        text = a.text or (_("（地方规定，要旨）") + a.summary if a.summary else a.full_citation)
        out.append({"citation": a.full_citation, "text": text})
    return out


def _facts(notice: Notice) -> str:
    local = timezone.localtime(notice.observed_at)
    deadline = timezone.localtime(notice.deadline)
    return _(
        "%(when)s，当事人运营的共享单车（车牌 %(plate)s）停放在规范停放点以外（%(lat).6f, "
        "%(lng).6f；%(why)s）。本局于 %(issued)s 以暖心提醒 %(number)s 通知当事人在 "
        "%(deadline)s 前整改，当事人逾期未整改。"
    ) % {
        "when": f"{local:%Y年%m月%d日%H时%M分}",
        "plate": notice.bike.plate,
        "lat": notice.lat,
        "lng": notice.lng,
        "why": notice.check_ref.explanation_text(),
        "issued": f"{timezone.localtime(notice.issued_at):%H时%M分}",
        "number": notice.number,
        "deadline": f"{deadline:%H时%M分}",
    }


def prior_penalties(notice: Notice, months: int = 12) -> int:
    since = notice.issued_at - timedelta(days=30 * months)
    return PenaltyDecision.objects.filter(
        operator_id=notice.operator_id, issued_at__gte=since
    ).count()


def penalty_issue_documents(*, notice: Notice, decision: PenaltyDecision) -> Issued:
    """Issue (sealed) and serve the decision document. Raises DomainError if it cannot."""
    from nuanxin.deliveries.services import delivery_send
    from nuanxin.documents.services import document_issue
    from nuanxin.laws.discretion import discretion_propose
    from nuanxin.laws.selectors import tag_get
    from nuanxin.violations.services_party import party_for_operator

    bureau = _bureau()
    if bureau is None:
        raise DomainError("no_bureau", _("尚未配置执法机关。"))
    tag = tag_get(TAG_CODE)
    proposal = discretion_propose(
        tag=tag,
        party_kind="organisation",
        facts={"prior_count_in_window": prior_penalties(notice), "harm": "minor"},
    )
    by = system_user()
    operator = notice.operator
    context = {
        "party_name": operator.name,
        "party_id": str(getattr(operator, "uscc", "") or operator.provider_id),
        "party_address": getattr(operator, "address", "") or operator.contact_email or "—",
        "case_number": notice.number,
        "facts": _facts(notice),
        "evidence": [
            {
                "name": _("MDS 停放判定记录 %(id)s") % {"id": notice.check_ref_id},
                "sha256": _evidence_digest(notice),
            },
        ],
        "articles_violated": _articles(tag.violated_articles.all()),
        "articles_penalty": _articles(tag.penalty_articles.all()),
        "penalty": _("罚款人民币 %(amount)s 元。%(reasons)s")
        % {"amount": proposal.amount, "reasons": " ".join(proposal.reasons)},
        "fine_amount": proposal.amount,
        "execution": _("自收到本决定书之日起十五日内缴纳罚款。"),
        "payment_place": _("通过本市非税收入电子缴款平台缴纳"),
        "payment_deadline": _("收到本决定书之日起十五日内"),
        **REMEDIES,
    }
    document = document_issue(
        doc_type="penalty_decision",
        bureau=bureau,
        context=context,
        signers=[],
        by=by,
        subject=decision,
        party_name=operator.name,
        seal=True,
    )
    party = party_for_operator(operator=operator, by=None)
    delivery = delivery_send(document=document, party=party, by=None)
    return Issued(amount=proposal.amount, document=document, delivery=delivery, note="")


def _evidence_digest(notice: Notice) -> str:
    import hashlib
    import json

    explained = notice.check_ref.explanation()
    payload = json.dumps(
        {"check": notice.check_ref_id, "lat": notice.lat, "lng": notice.lng, **explained},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def penalty_try_documents(*, notice: Notice, decision: PenaltyDecision) -> bool:
    """Inside the caller's transaction: issue and serve in a savepoint, or mark pending."""
    try:
        with transaction.atomic():
            issued = penalty_issue_documents(notice=notice, decision=decision)
    except Exception as exc:
        if not isinstance(exc, DomainError | ImportError):
            log.exception("penalty document for %s failed", notice.number)
        decision.status = PenaltyDecision.Status.DOCUMENT_PENDING
        decision.note = str(exc)[:500]
        decision.save(update_fields=["status", "note"])
        return False
    decision.status = PenaltyDecision.Status.ISSUED
    decision.amount = issued.amount
    decision.document_id = issued.document.pk
    decision.document_number = issued.document.number
    decision.delivery_id = issued.delivery.pk if issued.delivery else None
    decision.number = issued.document.number
    decision.note = ""
    decision.save(
        update_fields=[
            "status",
            "amount",
            "document_id",
            "document_number",
            "delivery_id",
            "number",
            "note",
        ]
    )
    return True
