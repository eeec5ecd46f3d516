"""Consent to electronic service (行政处罚法 Art. 61): recorded, signed, revocable.

Split from services.py (sending and marking deliveries), which re-exports these names.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record
from nuanxin.cases.services.common import party_resolve
from nuanxin.core.errors import DomainError
from nuanxin.deliveries.models import ELECTRONIC, Channel, DeliveryConsent

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Priority when several channels are consented: the inbox first (no third party involved).
CHANNEL_ORDER = [Channel.PORTAL, Channel.EMAIL, Channel.SMS]


def _party_q(party: Any) -> Q:
    return Q(party=party)


def consent_for(party: Any) -> DeliveryConsent | None:
    """The party's current signed consent to electronic service, if any."""
    from nuanxin.violations.models import Party

    if not isinstance(party, Party):
        label = party._meta.label_lower
        field = {"merchants.merchant": "merchant", "bikes.operator": "operator"}.get(label)
        if field is None:
            return None
        party = Party.objects.filter(**{field: party}).first()
        if party is None:
            return None
    info = party
    return DeliveryConsent.objects.filter(_party_q(info), revoked_at__isnull=True).first()


@transaction.atomic
def delivery_consent_record(
    *,
    party: Any,
    channels: list[str],
    addresses: dict[str, str],
    by: Any,
    source_ip: str | None = None,
) -> DeliveryConsent:
    """Record a signed 送达地址确认书 (issued and sealed through the documents app).

    `addresses`: {"phone": …, "email": …, "postal": …}. The portal channel needs the party
    to have a portal: a merchant with a login, or a bike operator.
    """
    info = party_resolve(party, by=by, source_ip=source_ip)
    chosen = [c for c in CHANNEL_ORDER if c in set(channels)]
    unknown = set(channels) - set(ELECTRONIC)
    if unknown:
        raise DomainError("channel", _("不支持的电子送达方式：%s") % "、".join(sorted(unknown)))
    if not chosen:
        raise DomainError("no_channel", _("请至少选择一种电子送达方式。"))
    phone = (addresses.get("phone") or "").strip()
    email = (addresses.get("email") or "").strip()
    postal = (addresses.get("postal") or info.address or "").strip()
    if Channel.SMS in chosen and not PHONE_RE.match(phone):
        raise DomainError("phone", _("手机号码格式不正确：%s") % (phone or "—"))
    if Channel.EMAIL in chosen and not EMAIL_RE.match(email):
        raise DomainError("email", _("电子邮箱格式不正确：%s") % (email or "—"))
    if Channel.PORTAL in chosen:
        has_portal = info.operator is not None or (
            info.merchant is not None and info.merchant.owners.exists()
        )
        if not has_portal:
            raise DomainError("no_portal", _("当事人没有门户账号，不能选择门户送达。"))
    now = timezone.now()
    DeliveryConsent.objects.filter(_party_q(info), revoked_at__isnull=True).update(revoked_at=now)
    consent = DeliveryConsent.objects.create(
        party=info,
        merchant=info.merchant,
        operator=info.operator,
        party_name=info.name,
        channels=[str(c) for c in chosen],
        phone=phone,
        email=email,
        postal_address=postal,
        signed_at=now,
        recorded_by=by if getattr(by, "pk", None) else None,
    )
    bureau = bureau_for(info)
    if bureau is not None:
        from nuanxin.documents.services import document_issue

        labels = {c: str(Channel(c).label) for c in chosen}
        document = document_issue(
            doc_type="service_address_confirmation",
            bureau=bureau,
            context={
                "party_name": info.name,
                "party_id": info.id_number or "—",
                "postal_address": postal or "—",
                **({"phone": phone} if phone else {}),
                **({"email": email} if email else {}),
                "channels": [labels[c] for c in chosen],
                "confirmed_at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
            },
            signers=[by] if getattr(by, "badge_no", "") else [],
            by=by,
            subject=consent,
            party_name=info.name,
            seal=True,
            source_ip=source_ip,
        )
        consent.document_id = document.pk
        consent.document_number = str(getattr(document, "number", "") or "")
        consent.save(update_fields=["document_id", "document_number"])
    audit_record(
        actor=by,
        action="delivery.consent",
        obj=consent,
        before={},
        after={"channels": consent.channels, "phone": phone, "email": email},
        source_ip=source_ip,
        actor_label="" if getattr(by, "pk", None) else "system",
    )
    return consent


def bureau_for(info: Any) -> Any:
    from nuanxin.orgs.models import Bureau

    if info.merchant is not None:
        return info.merchant.district.bureau
    return Bureau.objects.order_by("pk").first()
