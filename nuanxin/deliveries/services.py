"""Electronic service with consent, paper service without it (行政处罚法 Art. 61)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record, snapshot
from nuanxin.cases.services.common import party_resolve
from nuanxin.core.errors import Conflict, DomainError
from nuanxin.deliveries.channels import BACKENDS
from nuanxin.deliveries.consent import CHANNEL_ORDER, bureau_for
from nuanxin.deliveries.consent import consent_for as consent_for  # re-exported
from nuanxin.deliveries.consent import (
    delivery_consent_record as delivery_consent_record,  # re-exported
)
from nuanxin.deliveries.models import (
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryEvent,
)

LINK_SALT = "nuanxin.deliveries.open"
AUDIT_FIELDS = ["status", "delivered_at", "opened_at", "acknowledged_at", "served_at"]


def open_link_token(delivery: Delivery) -> str:
    return signing.dumps({"d": delivery.pk}, salt=LINK_SALT, compress=True)


def open_link(delivery: Delivery) -> str:
    site = str(getattr(settings, "SITE_ROOT", "")).rstrip("/")
    return f"{site}/service/{open_link_token(delivery)}/"


def delivery_for_token(token: str) -> Delivery | None:
    try:
        data = signing.loads(token, salt=LINK_SALT)
    except signing.BadSignature:
        return None
    return Delivery.objects.filter(pk=data.get("d")).first()


def _document_meta(document: Any) -> tuple[str, str, str]:
    doc_type = str(getattr(document, "doc_type", "") or "")
    title = str(getattr(document, "title", "") or "")
    if not title and doc_type:
        try:
            from nuanxin.documents.doctypes import doctype_get  # type: ignore[attr-defined]

            title = str(doctype_get(doc_type).title)
        except (ImportError, AttributeError, LookupError, KeyError):
            title = doc_type
    return str(getattr(document, "number", "") or ""), title or _("执法文书"), doc_type


@transaction.atomic
def delivery_send(
    *,
    document: Any,
    party: Any,
    by: Any,
    channels: list[str] | None = None,
    case: Any = None,
    source_ip: str | None = None,
) -> Delivery:
    """Serve `document` on `party`: electronically on each consented channel, else on paper.

    Works without a human (by=None, e.g. the bikes worker serving an operator): portal
    delivery reaches the operator's inbox at once and fixes the legal date of service.
    """
    info = party_resolve(party, by=by, source_ip=source_ip)
    number, title, doc_type = _document_meta(document)
    if case is None:
        case = _case_for(document)
    consent = consent_for(info)
    use = []
    if consent is not None:
        use = [
            c
            for c in CHANNEL_ORDER
            if c in consent.channels and (channels is None or c in channels)
        ]
        if channels is not None and not use:
            raise DomainError(
                "channel_not_consented",
                _("当事人未同意以%s方式送达。")
                % "、".join(str(Channel(c).label) for c in channels if c in Channel.values),
            )
    delivery = Delivery.objects.create(
        party=info,
        merchant=info.merchant,
        operator=info.operator,
        party_name=info.name,
        document_id=document.pk,
        document_number=number,
        document_title=title,
        doc_type=doc_type,
        case=case,
        consent=consent,
        status=Delivery.Status.SENT if use else Delivery.Status.PAPER_PENDING,
        created_by=by if getattr(by, "pk", None) else None,
    )
    label = "" if getattr(by, "pk", None) else "system"
    if not use:
        DeliveryEvent.objects.create(
            delivery=delivery,
            kind="paper_pending",
            channel=Channel.PAPER,
            data={"reason": "no_consent"},
        )
        audit_record(
            actor=by,
            action="delivery.send",
            obj=delivery,
            before={},
            after={"status": delivery.status, "channels": []},
            source_ip=source_ip,
            actor_label=label,
        )
        return delivery
    link = open_link(delivery)
    assert consent is not None
    address_of = {
        Channel.PORTAL: info.name,
        Channel.EMAIL: consent.email,
        Channel.SMS: consent.phone,
    }
    for channel in use:
        attempt = DeliveryAttempt.objects.create(
            delivery=delivery, channel=channel, address=address_of[channel], sent_at=timezone.now()
        )
        DeliveryEvent.objects.create(delivery=delivery, kind="sent", channel=channel)
        try:
            reached = BACKENDS[channel].send(attempt=attempt, delivery=delivery, link=link)
        except Exception as exc:  # a channel failing must not lose the others or the log
            attempt.failed_at = timezone.now()
            attempt.error = str(exc)[:1000]
            attempt.save(update_fields=["failed_at", "error", "provider_ref"])
            DeliveryEvent.objects.create(
                delivery=delivery, kind="failed", channel=channel, data={"error": attempt.error}
            )
            continue
        attempt.delivered_at = reached
        attempt.save(update_fields=["delivered_at", "provider_ref"])
        if reached is not None:
            DeliveryEvent.objects.create(
                delivery=delivery, kind="delivered", channel=channel, at=reached
            )
    attempts = list(delivery.attempts.all())
    if all(a.failed_at for a in attempts):
        delivery.status = Delivery.Status.PAPER_PENDING
        delivery.save(update_fields=["status"])
        DeliveryEvent.objects.create(
            delivery=delivery,
            kind="paper_pending",
            channel=Channel.PAPER,
            data={"reason": "all_channels_failed"},
        )
    reached_times = [a.delivered_at for a in attempts if a.delivered_at]
    if reached_times:
        _mark(delivery, delivered_at=min(reached_times), by=by)
    audit_record(
        actor=by,
        action="delivery.send",
        obj=delivery,
        before={},
        after={"status": delivery.status, "channels": use, "served_at": delivery.served_at},
        source_ip=source_ip,
        actor_label=label,
    )
    return delivery


def _case_for(document: Any) -> Any:
    subject = getattr(document, "subject", None)
    from nuanxin.cases.models import Case

    if isinstance(subject, Case):
        return subject
    from nuanxin.cases.models import CaseDocument

    link = CaseDocument.objects.filter(document_id=document.pk).select_related("case").first()
    return link.case if link else None


RULES = {
    "delivered": _(
        "电子送达：以文书到达受送达人特定系统之日为送达日期（民事诉讼法第九十条，行政处罚法第六十一条）"
    ),
    "opened": _("电子送达：受送达人查阅文书之日（早于或无到达回执时）为送达日期"),
    "acknowledged": _("受送达人签收之日为送达日期"),
    "paper": _("纸质送达：以送达回证上受送达人签收的日期为送达日期"),
}


def _mark(
    delivery: Delivery,
    *,
    by: Any,
    delivered_at: dt.datetime | None = None,
    opened_at: dt.datetime | None = None,
    acknowledged_at: dt.datetime | None = None,
    paper_at: dt.datetime | None = None,
) -> None:
    """Update the delivery's times; the legal date is the first moment it reached the party."""
    fields = ["status"]
    if delivered_at and not delivery.delivered_at:
        delivery.delivered_at = delivered_at
        fields.append("delivered_at")
    if opened_at and not delivery.opened_at:
        delivery.opened_at = opened_at
        fields.append("opened_at")
    if acknowledged_at and not delivery.acknowledged_at:
        delivery.acknowledged_at = acknowledged_at
        fields.append("acknowledged_at")
    if delivery.acknowledged_at:
        delivery.status = Delivery.Status.ACKNOWLEDGED
    elif delivery.opened_at:
        delivery.status = Delivery.Status.OPENED
    elif delivery.delivered_at:
        delivery.status = Delivery.Status.DELIVERED
    candidates = [
        (t, rule)
        for t, rule in [
            (delivery.delivered_at, "delivered"),
            (delivery.opened_at, "opened"),
            (delivery.acknowledged_at, "acknowledged"),
            (paper_at, "paper"),
        ]
        if t is not None
    ]
    if candidates and delivery.served_at is None:
        when, rule = min(candidates, key=lambda pair: pair[0])
        delivery.served_at = when
        delivery.served_rule = str(RULES[rule])
        fields += ["served_at", "served_rule"]
        delivery.save(update_fields=fields)
        _serve_case(delivery, by=by)
        return
    delivery.save(update_fields=fields)


def _serve_case(delivery: Delivery, *, by: Any) -> None:
    """A served penalty decision starts the case's payment clock (no human step needed)."""
    case = delivery.case
    if case is None or delivery.served_at is None:
        return
    from nuanxin.cases.models import CaseStatus
    from nuanxin.cases.services import case_serve

    if delivery.doc_type == "prior_notice" and case.status == CaseStatus.NOTIFIED:
        from nuanxin.cases.services.workflow import case_notice_served

        case_notice_served(
            case=case, served_on=timezone.localdate(delivery.served_at), by=by, delivery=delivery
        )
        return
    if delivery.doc_type in ("penalty_decision", "") and case.status == CaseStatus.DECIDED:
        channel = (
            "paper"
            if delivery.receipt_document_id
            else ",".join(a.channel for a in delivery.attempts.all() if a.delivered_at)
            or "electronic"
        )
        case_serve(
            case=case,
            by=None,
            served_on=timezone.localdate(delivery.served_at),
            method=channel,
            delivery=delivery,
        )


def _event_and_audit(
    delivery: Delivery,
    kind: str,
    by: Any,
    before: dict[str, Any],
    source_ip: str | None,
    data: dict[str, Any] | None = None,
) -> None:
    DeliveryEvent.objects.create(delivery=delivery, kind=kind, data=data or {})
    audit_record(
        actor=by,
        action=f"delivery.{kind}",
        obj=delivery,
        before=before,
        after=snapshot(delivery, AUDIT_FIELDS),
        source_ip=source_ip,
        actor_label="" if getattr(by, "pk", None) else f"party:{delivery.party_name}"[:150],
    )


@transaction.atomic
def delivery_mark_delivered(
    *,
    delivery: Delivery,
    channel: str,
    at: dt.datetime | None = None,
    provider_ref: str = "",
    by: Any = None,
    source_ip: str | None = None,
) -> Delivery:
    """A gateway's delivery receipt (SMS) for one channel."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    attempt = delivery.attempts.filter(channel=channel).first()
    if attempt is None:
        raise DomainError("no_attempt", _("该文书未通过%s发送。") % channel)
    at = at or timezone.now()
    before = snapshot(delivery, AUDIT_FIELDS)
    if attempt.delivered_at is None:
        attempt.delivered_at = at
        attempt.provider_ref = provider_ref or attempt.provider_ref
        attempt.save(update_fields=["delivered_at", "provider_ref"])
    _mark(delivery, delivered_at=at, by=by)
    _event_and_audit(delivery, "delivered", by, before, source_ip, {"channel": channel})
    return delivery


@transaction.atomic
def delivery_mark_opened(
    *,
    delivery: Delivery,
    by: Any = None,
    at: dt.datetime | None = None,
    source_ip: str | None = None,
) -> Delivery:
    """The party opened the signed link (or its system fetched the inbox item)."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status == Delivery.Status.PAPER_PENDING:
        raise Conflict("paper", _("该文书为纸质送达。"))
    if delivery.opened_at:
        return delivery
    before = snapshot(delivery, AUDIT_FIELDS)
    _mark(delivery, opened_at=at or timezone.now(), by=by)
    _event_and_audit(delivery, "opened", by, before, source_ip)
    return delivery


@transaction.atomic
def delivery_mark_acknowledged(
    *,
    delivery: Delivery,
    by: Any = None,
    at: dt.datetime | None = None,
    source_ip: str | None = None,
) -> Delivery:
    """The party confirmed receipt (签收) on the open page or through the inbox API."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status == Delivery.Status.PAPER_PENDING:
        raise Conflict("paper", _("该文书为纸质送达。"))
    if delivery.acknowledged_at:
        return delivery
    at = at or timezone.now()
    before = snapshot(delivery, AUDIT_FIELDS)
    _mark(delivery, opened_at=at, acknowledged_at=at, by=by)
    _event_and_audit(delivery, "acknowledged", by, before, source_ip)
    return delivery


@transaction.atomic
def delivery_record_paper(
    *,
    delivery: Delivery,
    by: Any,
    received_at: dt.datetime,
    place: str,
    receiver_note: str,
    witness: str = "",
    source_ip: str | None = None,
) -> Delivery:
    """Paper service: the officer records the signed 送达回证 (issued through documents)."""
    if getattr(by, "role", "") not in ("officer", "chief"):
        raise DomainError("not_officer", _("只有执法人员可以登记纸质送达。"))
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.served_at is not None:
        raise Conflict(
            "already_served",
            _("该文书已于%s送达。")
            % timezone.localtime(delivery.served_at).strftime("%Y-%m-%d %H:%M"),
        )
    if not receiver_note.strip():
        raise DomainError("receiver_note", _("请填写受送达人签收情况。"))
    before = snapshot(delivery, AUDIT_FIELDS)
    bureau = delivery.case.bureau if delivery.case else bureau_for(delivery)
    if bureau is not None:
        from nuanxin.documents.services import document_issue

        receipt = document_issue(
            doc_type="service_receipt",
            bureau=bureau,
            context={
                "served_document": f"{delivery.document_title} {delivery.document_number}",
                "recipient": delivery.party_name,
                "service_place": place.strip() or "—",
                "service_method": _("直接送达"),
                "served_at": timezone.localtime(received_at).strftime("%Y-%m-%d %H:%M"),
                "receiver_note": receiver_note.strip(),
                **({"witness": witness.strip()} if witness.strip() else {}),
            },
            signers=[by],
            by=by,
            subject=delivery,
            party_name=delivery.party_name,
            seal=True,
            source_ip=source_ip,
        )
        delivery.receipt_document_id = receipt.pk
        delivery.save(update_fields=["receipt_document_id"])
    delivery.acknowledged_at = received_at
    delivery.status = Delivery.Status.ACKNOWLEDGED
    delivery.served_at = received_at
    delivery.served_rule = str(RULES["paper"])
    delivery.save(update_fields=["acknowledged_at", "status", "served_at", "served_rule"])
    _serve_case(delivery, by=by)
    _event_and_audit(
        delivery, "paper_receipt", by, before, source_ip, {"place": place, "note": receiver_note}
    )
    return delivery
