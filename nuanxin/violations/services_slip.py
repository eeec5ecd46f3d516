"""Warm reminder slips (温馨提示单): gap-free numbering and the frozen printed content."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record
from nuanxin.laws.models import Article
from nuanxin.orgs.models import Bureau
from nuanxin.violations.models import Slip, SlipCounter, Violation

SLIP_PREFIX = "温提"


def slip_number_format(*, bureau: Bureau, year: int, serial: int) -> str:
    return f"{bureau.short_name}{SLIP_PREFIX}〔{year}〕第{serial:06d}号"


def slip_number_allocate(*, bureau: Bureau, year: int) -> tuple[int, str]:
    """Next serial for (bureau, year). Call inside the transaction that stores the slip:
    the counter row stays locked until commit and a rollback returns the number."""
    with transaction.atomic():
        counter = SlipCounter.objects.select_for_update().filter(bureau=bureau, year=year).first()
        if counter is None:
            try:
                with transaction.atomic():
                    SlipCounter.objects.create(bureau=bureau, year=year)
            except IntegrityError:
                pass  # created concurrently; lock theirs below
            counter = SlipCounter.objects.select_for_update().get(bureau=bureau, year=year)
        counter.last_serial += 1
        counter.save(update_fields=["last_serial"])
    serial = counter.last_serial
    return serial, slip_number_format(bureau=bureau, year=year, serial=serial)


def content_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _article(a: Article) -> dict[str, Any]:
    return {
        "citation": a.full_citation,
        "text": a.text,
        "gist": a.summary,
        "complete": a.text_complete,
        "scope": a.scope,
        "source": a.law.source,
        "version_date": a.law.version_date.isoformat() if a.law.version_date else "",
    }


def _deadline_text(violation: Violation, deadline: Any) -> str:
    if violation.tag.correction_days == 0 or deadline is None:
        return str(_("立即改正"))
    return f"{deadline.year}年{deadline.month}月{deadline.day}日前"


def slip_issue(
    *, violation: Violation, bureau: Bureau, by: Any, deadline: Any, source_ip: str | None = None
) -> Slip:
    """Number and freeze a slip for an education or warning outcome. Runs in the caller's
    transaction (the violation's), so a failure leaves neither the record nor a number."""
    issued_at = timezone.now()
    year = timezone.localtime(issued_at).year
    token = secrets.token_urlsafe(18)
    tag = violation.tag
    with transaction.atomic():
        serial, number = slip_number_allocate(bureau=bureau, year=year)
        local_when = timezone.localtime(violation.occurred_at)
        district = violation.district
        content = {
            "title": str(_("温馨提示单")),
            "number": number,
            "issued_at": timezone.localtime(issued_at).strftime("%Y-%m-%d %H:%M"),
            "agency": bureau.name,
            "contact": " ".join(
                x for x in [district.name, district.phone or bureau.phone, bureau.address] if x
            ),
            "party": violation.party.name,
            "party_kind": violation.party.get_kind_display(),
            "time": local_when.strftime("%Y-%m-%d %H:%M"),
            "place": violation.place,
            "behaviour": tag.name,
            "outcome": violation.get_outcome_display(),
            "violated": [_article(a) for a in tag.violated_articles.all()],
            "penalty": [_article(a) for a in tag.penalty_articles.all()],
            "penalty_text": tag.penalty_text,
            "penalty_local": tag.penalty_scope == "local",
            "remedy": tag.remedy,
            "deadline": _deadline_text(violation, deadline),
            "reason": violation.reason,
            "officer": f"{violation.recorded_by} {violation.recorded_by.badge_no}".strip(),
            "catalogue_version": violation.catalogue_version,
            "verify_url": settings.SITE_ROOT + f"/v/slip/{token}",
        }
        slip = Slip.objects.create(
            violation=violation,
            bureau=bureau,
            year=year,
            serial=serial,
            number=number,
            token=token,
            content=content,
            content_sha256=content_hash(content),
            issued_at=issued_at,
            issued_by=by,
        )
        audit_record(
            actor=by,
            action="slip.issue",
            obj=slip,
            after={"number": number, "sha256": slip.content_sha256, "violation": violation.pk},
            source_ip=source_ip,
        )
    return slip


@transaction.atomic
def slip_revoke(*, slip: Slip, by: Any, reason: str, source_ip: str | None = None) -> Slip:
    from nuanxin.core.errors import Conflict, DomainError

    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _("作废提示单须填写原因。"))
    locked = Slip.objects.select_for_update().get(pk=slip.pk)
    if locked.revoked_at is not None:
        raise Conflict("slip_revoked", _("该提示单已作废。"))
    locked.revoked_at = timezone.now()
    locked.revoked_reason = reason[:200]
    locked.save(update_fields=["revoked_at", "revoked_reason"])
    audit_record(
        actor=by,
        action="slip.revoke",
        obj=locked,
        before={"valid": True},
        after={"valid": False, "reason": locked.revoked_reason},
        source_ip=source_ip,
    )
    return locked
