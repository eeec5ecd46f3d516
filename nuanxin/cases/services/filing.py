"""Filing a case (普通程序) and deciding on the spot (简易程序, Art. 51–52)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.cases import clocks
from nuanxin.cases.models import Case, CaseStatus
from nuanxin.cases.services.common import (
    case_number_allocate,
    credit_penalty_record,
    ensure,
    evidence_context,
    issue_document,
    money_text,
    party_kind_of,
    party_resolve,
    penalty_text,
    record_action,
    require_officer,
)
from nuanxin.core.errors import Conflict, DomainError, NotAllowed

# Art. 51: the on-the-spot procedure covers a warning or a fine up to these amounts.
ONSPOT_LIMITS = {"person": Decimal("200.00"), "organisation": Decimal("3000.00")}
LEVELS = {"none", "lighter", "general", "heavier"}


@dataclass(frozen=True)
class Proposal:
    """What the 裁量基准 proposed for this case (a copy of laws' DiscretionProposal)."""

    level: str
    amount: Decimal | None
    amount_min: Decimal | None
    amount_max: Decimal | None
    reasons: list[str]
    catalogue_version: str
    tag_code: str
    tag_name: str
    articles_violated: list[dict[str, str]]
    articles_penalty: list[dict[str, str]]


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation as exc:
        raise DomainError("bad_amount", _("金额格式不正确：%s") % value) from exc


def _articles(value: Any) -> list[dict[str, str]]:
    """Normalise whatever the law library returns into [{citation, text}]."""
    found: list[dict[str, str]] = []
    for item in value or []:
        if isinstance(item, dict):
            found.append(
                {"citation": str(item.get("citation", "")), "text": str(item.get("text", ""))}
            )
        else:
            citation = getattr(item, "full_citation", None) or getattr(item, "citation", None)
            text = getattr(item, "text", "") or getattr(item, "summary", "")
            found.append({"citation": str(citation or item), "text": str(text)})
    return found


def _tag_articles(tag: Any, plural: str, singular: str) -> list[dict[str, str]]:
    value = getattr(tag, plural, None)
    if value is None:
        single = getattr(tag, singular, None)
        value = [single] if single is not None else []
    if hasattr(value, "all"):
        value = list(value.all())
    return _articles(value)


def case_propose(*, tag_code: str, party: Any, facts: dict[str, Any] | None = None) -> Proposal:
    """The discretion standard's proposal for this tag, party and facts (a read, no write)."""
    from nuanxin.laws.discretion import discretion_propose
    from nuanxin.laws.selectors import tag_get

    tag = tag_get(tag_code)
    if tag is None:
        raise DomainError("unknown_tag", _("未找到行为标识：%s") % tag_code)
    proposal = discretion_propose(tag=tag, party_kind=party_kind_of(party), facts=facts or {})
    return Proposal(
        level=str(proposal.level),
        amount=_dec(proposal.amount),
        amount_min=_dec(proposal.amount_min),
        amount_max=_dec(proposal.amount_max),
        reasons=[str(r) for r in proposal.reasons],
        catalogue_version=str(proposal.catalogue_version),
        tag_code=str(getattr(tag, "code", tag_code)),
        tag_name=str(getattr(tag, "name", tag_code)),
        articles_violated=_tag_articles(tag, "violated_articles", "article_violated"),
        articles_penalty=_tag_articles(tag, "penalty_articles", "article_penalty"),
    )


def _is_departure(proposal: Proposal, level: str, amount: Decimal, warning_only: bool) -> bool:
    if level != proposal.level:
        return True
    if warning_only:
        return proposal.amount not in (None, Decimal("0.00"))
    if proposal.amount is not None and amount != proposal.amount:
        return True
    if proposal.amount_min is not None and amount < proposal.amount_min:
        return True
    return proposal.amount_max is not None and amount > proposal.amount_max


def _validate_officers(by: Any, second_officer: Any) -> None:
    require_officer(by, what=_("立案"))
    if second_officer is None:
        raise DomainError("second_officer", _("案件须由两名以上执法人员办理（第四十二条）。"))
    if second_officer.pk == by.pk:
        raise DomainError("same_officer", _("两名执法人员不能是同一人（第四十二条）。"))
    if second_officer.role != "officer" or not second_officer.badge_no:
        raise NotAllowed(
            "second_not_qualified",
            _("%(name)s 不具备执法资格（须为执法队员并持有执法证）。")
            % {"name": str(second_officer)},
        )
    if not second_officer.is_active:
        raise NotAllowed(
            "second_inactive", _("%(name)s 的账号已停用。") % {"name": str(second_officer)}
        )


def _base_case(
    *,
    by: Any,
    second_officer: Any,
    info: Any,
    proposal: Proposal,
    level: str,
    amount: Decimal,
    warning_only: bool,
    departure_reason: str,
    facts: str,
    place: str,
    occurred_at: dt.datetime,
    violation: Any,
    procedure: str,
    status: str,
) -> Case:
    district = by.district
    if district is None:
        raise NotAllowed("no_district", _("您的账号未分配中队/辖区，不能立案。"))
    ensure(bool(facts.strip()), "facts", _("请填写违法事实。"))
    ensure(bool(place.strip()), "place", _("请填写违法地点。"))
    ensure(bool(info.name.strip()), "party", _("请填写当事人。"))
    if level not in LEVELS:
        raise DomainError("bad_level", _("未知的裁量等级：%s") % level)
    if amount < 0:
        raise DomainError("bad_amount", _("罚款金额不能为负数。"))
    departure = _is_departure(proposal, level, amount, warning_only)
    reason = departure_reason.strip()
    if departure and len(reason) < 10:
        raise DomainError(
            "departure_reason",
            _("处罚与裁量基准建议（%(level)s，%(amount)s元）不一致，须书面说明理由（至少10个字）。")
            % {"level": Case.Level(proposal.level).label, "amount": proposal.amount or "—"},
        )
    today = timezone.localdate()
    return Case.objects.create(
        number=case_number_allocate(bureau=district.bureau, year=today.year),
        bureau=district.bureau,
        district=district,
        procedure=procedure,
        status=status,
        party=info,
        party_kind=info.kind,
        party_name=info.name,
        party_id_number=info.id_number,
        party_address=info.address,
        party_phone=info.phone,
        merchant=info.merchant,
        operator=info.operator,
        violation_ref=getattr(violation, "pk", None),
        tag_code=proposal.tag_code,
        tag_name=proposal.tag_name,
        articles_violated=proposal.articles_violated,
        articles_penalty=proposal.articles_penalty,
        facts=facts.strip(),
        place=place.strip(),
        occurred_at=occurred_at,
        catalogue_version=proposal.catalogue_version,
        proposed_level=proposal.level,
        proposed_amount=proposal.amount,
        proposed_min=proposal.amount_min,
        proposed_max=proposal.amount_max,
        proposal_reasons=proposal.reasons,
        level=level,
        fine_amount=Decimal("0.00") if warning_only else amount,
        warning_only=warning_only,
        departure_reason=reason if departure else "",
        departure_flagged=departure,
        lead_officer=by,
        second_officer=second_officer,
        filed_on=today,
        decision_due=clocks.decision_due(today),
    )


@transaction.atomic
def case_file(
    *,
    by: Any,
    second_officer: Any,
    party: Any,
    proposal: Proposal,
    facts: str,
    place: str,
    occurred_at: dt.datetime,
    level: str | None = None,
    fine_amount: Decimal | str | None = None,
    warning_only: bool = False,
    departure_reason: str = "",
    violation: Any = None,
    source_ip: str | None = None,
) -> Case:
    """File a case (status 立案), awaiting the chief's filing approval.

    `proposal` comes from `case_propose` (shown to the officer before filing). Departing
    from it in level or amount needs a written reason and flags the case for the reviewer.
    """
    _validate_officers(by, second_officer)
    if violation is not None:
        if getattr(violation, "outcome", "propose_case") != "propose_case":
            raise DomainError(
                "not_proposed",
                _("该违法行为按“首违普法、二次告诫”应予教育或告诫，未建议立案。"),
            )
        if getattr(violation, "case_ref", ""):
            raise Conflict("already_filed", _("该违法行为已立案：%s") % violation.case_ref)
    amount = _dec(fine_amount)
    if amount is None:
        amount = proposal.amount or Decimal("0.00")
    case = _base_case(
        by=by,
        second_officer=second_officer,
        info=party_resolve(party, by=by, source_ip=source_ip),
        proposal=proposal,
        level=level or proposal.level,
        amount=amount,
        warning_only=warning_only,
        departure_reason=departure_reason,
        facts=facts,
        place=place,
        occurred_at=occurred_at,
        violation=violation,
        procedure=Case.Procedure.ORDINARY,
        status=CaseStatus.FILED,
    )
    if violation is not None:
        from nuanxin.violations.services_violation import violation_case_link

        violation_case_link(violation=violation, case_ref=case.number, by=by, source_ip=source_ip)
    record_action(
        case=case,
        kind="file",
        by=by,
        from_status="",
        note=case.departure_reason,
        data={"departure": case.departure_flagged},
        source_ip=source_ip,
        before={},
    )
    return case


def onspot_check(*, party_kind: str, amount: Decimal, warning_only: bool) -> None:
    """Refuse what the simple procedure cannot decide (Art. 51), with the reason."""
    if warning_only:
        return
    limit = ONSPOT_LIMITS.get(party_kind)
    if limit is None:
        raise DomainError("party_kind", _("未知的当事人类型。"))
    if amount > limit:
        raise DomainError(
            "onspot_limit",
            _(
                "当场处罚仅限警告或对%(who)s处%(limit)s元以下罚款（《行政处罚法》第五十一条），"
                "本案罚款%(amount)s元，应适用普通程序立案。"
            )
            % {
                "who": _("公民") if party_kind == "person" else _("法人或其他组织"),
                "limit": money_text(limit),
                "amount": money_text(amount),
            },
        )


@transaction.atomic
def case_decide_onspot(
    *,
    by: Any,
    second_officer: Any,
    party: Any,
    proposal: Proposal,
    facts: str,
    place: str,
    occurred_at: dt.datetime,
    level: str | None = None,
    fine_amount: Decimal | str | None = None,
    warning_only: bool = False,
    departure_reason: str = "",
    violation: Any = None,
    source_ip: str | None = None,
) -> Case:
    """简易程序: decide and hand over a 当场行政处罚决定书 at once (Art. 51, 52, 61)."""
    _validate_officers(by, second_officer)
    info = party_resolve(party, by=by, source_ip=source_ip)
    amount = _dec(fine_amount)
    if amount is None:
        amount = proposal.amount or Decimal("0.00")
    onspot_check(party_kind=info.kind, amount=amount, warning_only=warning_only)
    case = _base_case(
        by=by,
        second_officer=second_officer,
        info=info,
        proposal=proposal,
        level=level or proposal.level,
        amount=amount,
        warning_only=warning_only,
        departure_reason=departure_reason,
        facts=facts,
        place=place,
        occurred_at=occurred_at,
        violation=violation,
        procedure=Case.Procedure.SIMPLE,
        status=CaseStatus.SERVED,
    )
    today = case.filed_on
    case.decided_on = today
    case.served_on = today  # handed over on the spot (Art. 61)
    case.payment_due = None if warning_only else clocks.payment_due(today)
    case.save(update_fields=["decided_on", "served_on", "payment_due"])
    local_time = timezone.localtime(occurred_at)
    issue_document(
        case=case,
        doc_type="onspot_decision",
        context={
            "party_name": case.party_name,
            "party_id": case.party_id_number or "—",
            "party_address": case.party_address,
            "occurred_at": local_time.strftime("%Y-%m-%d %H:%M"),
            "place": case.place,
            "facts": case.facts,
            "evidence": evidence_context(case),
            "articles_violated": case.articles_violated,
            "articles_penalty": case.articles_penalty,
            "penalty": penalty_text(case),
            **({} if warning_only else {"fine_amount": case.fine_amount}),
            "payment_place": _("指定银行或电子缴款（缴款码）"),
            "payment_deadline": case.payment_due.isoformat() if case.payment_due else "—",
            "review_body": _review_body(case),
            "court": _court(case),
        },
        signers=[by, second_officer],
        by=by,
        source_ip=source_ip,
    )
    record_action(
        case=case,
        kind="decide_onspot",
        by=by,
        from_status="",
        note=case.departure_reason,
        data={"departure": case.departure_flagged, "amount": money_text(case.fine_amount)},
        source_ip=source_ip,
        before={},
    )
    credit_penalty_record(case, by=by)
    return case


def _review_body(case: Case) -> str:
    # 行政复议法 (2023) Art. 24: the people's government at the same level reviews.
    return _("%(bureau)s所属人民政府") % {"bureau": case.bureau.name}


def _court(case: Case) -> str:
    return _("%(bureau)s所在地基层人民法院") % {"bureau": case.bureau.name}
