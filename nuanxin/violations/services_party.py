"""Party services: get-or-create semantics, audited."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record, snapshot
from nuanxin.core.errors import DomainError
from nuanxin.violations.models import Party

PARTY_FIELDS = ["kind", "name", "id_number", "phone", "address", "merchant", "operator", "district"]


def _audit_created(party: Party, by: Any, source_ip: str | None) -> None:
    after = snapshot(party, PARTY_FIELDS)
    after["id_number"] = party.id_number_masked  # the audit log is read widely: mask
    audit_record(actor=by, action="party.create", obj=party, after=after, source_ip=source_ip)


def party_for_merchant(*, merchant: Any, by: Any, source_ip: str | None = None) -> Party:
    """The party for a market entity; created from the merchant's registry data on first use."""
    existing = Party.objects.filter(merchant=merchant).first()
    if existing is not None:
        return existing
    kind = Party.Kind.ORGANISATION
    unlinked = Party.objects.filter(
        kind=kind, id_number=merchant.uscc, merchant__isnull=True
    ).first()
    if unlinked is not None:
        # Recorded before as a plain organisation: attach it to the registry entry.
        with transaction.atomic():
            unlinked.merchant = merchant
            unlinked.district = unlinked.district or merchant.district
            unlinked.save(update_fields=["merchant", "district"])
            audit_record(
                actor=by,
                action="party.link_merchant",
                obj=unlinked,
                after={"merchant": merchant.pk},
                source_ip=source_ip,
            )
        return unlinked
    try:
        with transaction.atomic():
            party = Party.objects.create(
                kind=kind,
                name=merchant.name,
                id_number=merchant.uscc,
                phone=merchant.contact_phone,
                address=merchant.address,
                legal_representative=merchant.contact_name,
                merchant=merchant,
                district=merchant.district,
                created_by=by if getattr(by, "is_authenticated", False) else None,
            )
            _audit_created(party, by, source_ip)
            return party
    except IntegrityError:
        # Another request created it at the same moment, or a party with this USCC exists.
        found = (
            Party.objects.filter(merchant=merchant).first()
            or Party.objects.filter(kind=kind, id_number=merchant.uscc).first()
        )
        if found is None:
            raise
        return found


def party_for_operator(*, operator: Any, by: Any, source_ip: str | None = None) -> Party:
    """The party for a shared-bike operator (always an organisation)."""
    existing = Party.objects.filter(operator=operator).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            party = Party.objects.create(
                kind=Party.Kind.ORGANISATION,
                name=operator.name,
                id_number=getattr(operator, "uscc", ""),
                address=getattr(operator, "address", ""),
                legal_representative=getattr(operator, "legal_representative", ""),
                phone=operator.contact_phone,
                operator=operator,
                created_by=by if getattr(by, "is_authenticated", False) else None,
            )
            _audit_created(party, by, source_ip)
            return party
    except IntegrityError:
        found = Party.objects.filter(operator=operator).first()
        if found is None:
            raise
        return found


def party_create(
    *,
    kind: str,
    name: str,
    by: Any,
    id_number: str = "",
    phone: str = "",
    address: str = "",
    district: Any = None,
    legal_representative: str = "",
    source_ip: str | None = None,
) -> Party:
    """Get or create a person or organisation party not in the registries.

    With an ID number, an existing party with the same kind and number is returned (its
    name is not overwritten); without one, a new party is always created.
    """
    name = (name or "").strip()
    id_number = (id_number or "").strip().upper()
    if kind not in Party.Kind.values:
        raise DomainError("party_kind_invalid", _("当事人类型须为个人或单位。"))
    if not name:
        raise DomainError("party_name_required", _("请填写当事人姓名或名称。"))
    if len(name) > 120:
        raise DomainError("party_name_too_long", _("当事人姓名或名称过长。"))
    if id_number:
        existing = Party.objects.filter(kind=kind, id_number=id_number).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            party = Party.objects.create(
                kind=kind,
                name=name,
                id_number=id_number,
                phone=(phone or "").strip(),
                address=(address or "").strip(),
                district=district,
                legal_representative=(legal_representative or "").strip(),
                created_by=by if getattr(by, "is_authenticated", False) else None,
            )
            _audit_created(party, by, source_ip)
            return party
    except IntegrityError:
        found = Party.objects.filter(kind=kind, id_number=id_number).first()
        if found is None:
            raise
        return found
