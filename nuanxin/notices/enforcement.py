"""Adapter to the enforcement pipeline: law tag + discretion → sealed penalty decision →
electronic service to the operator. Kept in one place so the penalty job stays small."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.accounts.models import User
from nuanxin.core.errors import DomainError
from nuanxin.lib.env import envstr
from nuanxin.notices.models import Notice, PenaltyDecision

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


def penalty_bureau() -> Any:
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


def prior_penalties(decision: PenaltyDecision, months: int = 12) -> int:
    """The operator's decisions in the look-back window issued before this one (by issue
    time, then id): the same answer whenever and by whichever worker the document is made."""
    since = decision.issued_at - timedelta(days=30 * months)
    return (
        PenaltyDecision.objects.filter(operator_id=decision.operator_id, issued_at__gte=since)
        .filter(
            Q(issued_at__lt=decision.issued_at)
            | Q(issued_at=decision.issued_at, pk__lt=decision.pk)
        )
        .count()
    )


@dataclass
class PreparedPenalty:
    amount: Decimal
    document: Any  # documents.services.PreparedDocument


def penalty_prepare_documents(*, decision: PenaltyDecision) -> PreparedPenalty:
    """Amount (discretion), context, rendered and sealed PDF under the decision's reserved
    number. No writes and no locks: runs outside any transaction, in parallel workers.
    Raises DomainError (or a key error) if it cannot."""
    from nuanxin.documents.services import document_prepare
    from nuanxin.laws.discretion import discretion_propose
    from nuanxin.laws.selectors import tag_get

    notice = decision.notice
    bureau = decision.bureau
    if bureau is None or decision.number_serial is None or decision.number_year is None:
        raise DomainError("no_number", _("处罚决定尚未取得文号。"))
    tag = tag_get(TAG_CODE)
    proposal = discretion_propose(
        tag=tag,
        party_kind="organisation",
        facts={"prior_count_in_window": prior_penalties(decision), "harm": "minor"},
    )
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
    prepared = document_prepare(
        doc_type="penalty_decision",
        bureau=bureau,
        context=context,
        signers=[],
        reserved=(decision.number_year, decision.number_serial, decision.number),
        party_name=operator.name,
        seal=True,
    )
    return PreparedPenalty(amount=proposal.amount, document=prepared)


def penalty_store_documents(*, decision: PenaltyDecision, prepared: PreparedPenalty) -> Issued:
    """Inside the caller's transaction: store the sealed PDF and serve it."""
    from nuanxin.deliveries.services import delivery_send
    from nuanxin.documents.services import document_store
    from nuanxin.violations.services_party import party_for_operator

    document = document_store(prepared=prepared.document, by=system_user(), subject=decision)
    party = party_for_operator(operator=decision.notice.operator, by=None)
    delivery = delivery_send(document=document, party=party, by=None)
    return Issued(amount=prepared.amount, document=document, delivery=delivery, note="")


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
