"""Shared steps of the case services: transitions, actions, documents, parties."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record, snapshot
from nuanxin.cases.models import Case, CaseAction, CaseDocument, CaseSequence
from nuanxin.core.errors import Conflict, DomainError, NotAllowed
from nuanxin.lib.transactions import in_code_transaction

AUDIT_FIELDS = [
    "status",
    "level",
    "fine_amount",
    "departure_flagged",
    "statement_due",
    "served_on",
    "payment_due",
    "closed_on",
]


@dataclass(frozen=True)
class PartyInfo:
    """A party not yet in the register (a person met on the street), to be created."""

    kind: str  # "person" | "organisation"
    name: str
    id_number: str = ""
    address: str = ""
    phone: str = ""


def party_kind_of(party: Any) -> str:
    """'person' or 'organisation', without creating anything (merchants are organisations)."""
    kind = getattr(party, "kind", None)
    label = getattr(getattr(party, "_meta", None), "label_lower", "")
    if label in ("merchants.merchant", "bikes.operator"):
        return "organisation"
    return str(kind or "person")


def party_resolve(party: Any, *, by: Any, source_ip: str | None = None) -> Any:
    """The violations.Party for a Party, Merchant, Operator or PartyInfo (created on first use)."""
    from nuanxin.violations.models import Party
    from nuanxin.violations.services_party import (
        party_create,
        party_for_merchant,
        party_for_operator,
    )

    if isinstance(party, Party):
        return party
    if isinstance(party, PartyInfo):
        return party_create(
            kind=party.kind,
            name=party.name,
            by=by,
            id_number=party.id_number,
            phone=party.phone,
            address=party.address,
            source_ip=source_ip,
        )
    label = party._meta.label_lower
    if label == "merchants.merchant":
        return party_for_merchant(merchant=party, by=by, source_ip=source_ip)
    if label == "bikes.operator":
        return party_for_operator(operator=party, by=by, source_ip=source_ip)
    raise DomainError("party", _("无法识别的当事人。"))


def case_number_allocate(*, bureau: Any, year: int) -> str:
    if not in_code_transaction(transaction.get_connection()):
        raise RuntimeError("case_number_allocate must run inside a transaction")
    CaseSequence.objects.get_or_create(bureau=bureau, year=year)
    seq = CaseSequence.objects.select_for_update().get(bureau=bureau, year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"{bureau.short_name}案〔{year}〕{seq.last:05d}号"


def require_officer(user: Any, *, what: str) -> None:
    if user.role != "officer":
        raise NotAllowed("not_officer", _("只有执法队员可以%(what)s。") % {"what": what})
    if not user.badge_no:
        raise NotAllowed(
            "no_badge", _("%(name)s 没有执法证号，不具备执法资格。") % {"name": str(user)}
        )


def require_case_officer(case: Case, user: Any, *, what: str) -> None:
    require_officer(user, what=what)
    if user.pk not in case.officers():
        raise NotAllowed("not_case_officer", _("您不是本案的承办人员。"))


def require_chief(user: Any) -> None:
    # Deliberately no superuser shortcut: only a chief's own signature approves.
    if user.role != "chief":
        raise NotAllowed("not_chief", _("只有负责人可以审批，当前账号不是负责人。"))
    if user.pk is None:
        raise NotAllowed("not_chief", _("只有负责人可以审批。"))


def lock(case: Case) -> Case:
    """Re-read the case under a row lock so two phones cannot both move it."""
    return Case.objects.select_for_update().get(pk=case.pk)


def transition(
    *,
    case: Case,
    to: str,
    by: Any,
    kind: str,
    note: str = "",
    data: dict[str, Any] | None = None,
    source_ip: str | None = None,
    today: dt.date | None = None,
    extra_fields: list[str] | None = None,
    before: dict[str, Any] | None = None,
) -> CaseAction:
    """Move `case` to `to` (refused with the model's reason), log the action, audit it."""
    before = before if before is not None else snapshot(case, AUDIT_FIELDS)
    from_status = before.get("status", case.status)
    case.status = from_status
    check = case.can_transition_to(to, today=today)
    if not check:
        raise Conflict("illegal_transition", check.reason)
    case.status = to
    case.save(update_fields=["status", "updated_at", *(extra_fields or [])])
    return record_action(
        case=case,
        kind=kind,
        by=by,
        note=note,
        data=data,
        from_status=from_status,
        source_ip=source_ip,
        before=before,
    )


def record_action(
    *,
    case: Case,
    kind: str,
    by: Any,
    note: str = "",
    data: dict[str, Any] | None = None,
    from_status: str = "",
    source_ip: str | None = None,
    before: dict[str, Any] | None = None,
) -> CaseAction:
    action = CaseAction.objects.create(
        case=case,
        kind=kind,
        by=by if getattr(by, "pk", None) else None,
        from_status=from_status or case.status,
        to_status=case.status,
        note=note,
        data=data or {},
    )
    audit_record(
        actor=by,
        action=f"case.{kind}",
        obj=case,
        before=before if before is not None else {"status": from_status or case.status},
        after={**snapshot(case, AUDIT_FIELDS), **({"note": note} if note else {})},
        source_ip=source_ip,
    )
    return action


def issue_document(
    *,
    case: Case,
    doc_type: str,
    context: dict[str, Any],
    signers: list[Any],
    by: Any,
    seal: bool = True,
    source_ip: str | None = None,
) -> CaseDocument:
    """Issue a signed document through the documents app and keep its reference on the case."""
    from nuanxin.documents.services import document_issue

    document = document_issue(
        doc_type=doc_type,
        bureau=case.bureau,
        context={"case_number": case.number, **context},
        signers=signers,
        by=by,
        subject=case,
        party_name=case.party_name,
        seal=seal,
        source_ip=source_ip,
    )
    return CaseDocument.objects.create(
        case=case,
        doc_type=doc_type,
        document_id=document.pk,
        number=str(getattr(document, "number", "") or ""),
    )


def money_text(amount: Decimal) -> str:
    return f"{Decimal(amount):.2f}"


def penalty_text(case: Case) -> str:
    if case.warning_only:
        return _("警告")
    return _("罚款人民币%(amount)s元") % {"amount": money_text(case.fine_amount)}


def onsite_record_text(case: Case) -> str:
    """The officers' written on-site record (现场笔录, Art. 46), as stored on the case."""
    return "\n".join(
        [
            f"案件编号：{case.number}",
            f"时间：{timezone.localtime(case.occurred_at).strftime('%Y-%m-%d %H:%M')}",
            f"地点：{case.place}",
            f"当事人：{case.party_name}",
            f"违法事实：{case.facts}",
            f"执法人员：{case.lead_officer}（{case.lead_officer.badge_no}）、"
            f"{case.second_officer}（{case.second_officer.badge_no}）",
        ]
    )


def evidence_context(case: Case) -> list[dict[str, str]]:
    """The evidence list for documents: files the evidence app linked to the case, with
    their SHA-256, and the officers' written on-site record (hash of its exact text)."""
    items: list[dict[str, str]] = []
    lister: Any = None
    try:
        evidence_selectors: Any = importlib.import_module("nuanxin.evidence.selectors")
        lister = getattr(evidence_selectors, "evidence_for", None)
    except ImportError:
        pass
    if lister is not None:
        for item in lister(subject=case):
            name = getattr(item, "name", "") or getattr(item, "original_name", "") or str(item)
            items.append({"name": str(name), "sha256": str(item.sha256)})
    record = onsite_record_text(case).encode("utf-8")
    items.append(
        {"name": _("现场检查笔录（文字记录）"), "sha256": hashlib.sha256(record).hexdigest()}
    )
    return items


def now_local_date() -> dt.date:
    return timezone.localdate()


def ensure(condition: bool, code: str, message: str) -> None:
    if not condition:
        raise DomainError(code, message)


def credit_penalty_record(case: Case, *, by: Any) -> None:
    """A served penalty decision on a merchant is a credit event (kind "penalty")."""
    if case.merchant_id is None or case.status == "no_penalty":
        return
    from nuanxin.credit.services import credit_event_record

    credit_event_record(
        merchant=case.merchant,
        kind="penalty",
        source=case,
        occurred_at=timezone.now(),
        by=by,
        note=f"{case.number} {case.tag_name}",
    )
