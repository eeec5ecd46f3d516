"""Recording a violation and applying 首违普法、二次告诫."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record
from nuanxin.core.access import district_scope_id
from nuanxin.core.errors import Conflict, DomainError, NotAllowed
from nuanxin.laws.discretion import discretion_propose
from nuanxin.laws.models import BehaviourTag
from nuanxin.orgs.models import Bureau, District
from nuanxin.orgs.selectors import bureau_main, district_for_point
from nuanxin.violations import ladder
from nuanxin.violations.models import Education, Outcome, Party, Source, Violation, Warning
from nuanxin.violations.services_slip import slip_issue

log = logging.getLogger(__name__)

RECORDING_ROLES = {"officer", "dispatcher", "chief", "bureau_admin"}
# Art. 36 行政处罚法: two years in general.
LIMITATION = dt.timedelta(days=730)
CLOCK_SKEW = dt.timedelta(minutes=10)
# The same behaviour by the same party within this span is one event (two officers, one stall).
DUPLICATE_SPAN = dt.timedelta(minutes=30)


def _check_recorder(by: Any) -> None:
    if by is None or not getattr(by, "is_authenticated", False) or not by.is_active:
        raise NotAllowed("login_required", _("请先登录。"))
    if not (by.is_superuser or by.role in RECORDING_ROLES):
        raise NotAllowed("role_forbidden", _("您的角色无权记录违法行为。"))


def _district_for(*, party: Party, lat: float | None, lng: float | None, by: Any) -> District:
    if lat is not None and lng is not None:
        found = district_for_point(lat=lat, lng=lng)
        if found is None:
            raise DomainError("outside_city", _("违法地点不在本市辖区范围内，请核对定位。"))
        return found
    district = party.district or getattr(by, "district", None)
    if district is None:
        raise DomainError("district_unknown", _("无法确定违法地点所属辖区，请提供定位。"))
    return district


def _check_complaint(tracking_no: str) -> None:
    """Off-site recording from a complaint needs one the bureau found substantiated."""
    from nuanxin.feedback.models import Complaint

    complaint = Complaint.objects.filter(tracking_no=tracking_no).only("substantiated").first()
    if complaint is None:
        raise DomainError(
            "complaint_unknown", _("未找到受理编号为 %(no)s 的投诉。") % {"no": tracking_no}
        )
    if complaint.substantiated is not True:
        raise DomainError(
            "complaint_not_substantiated",
            _("投诉 %(no)s 尚未核实属实，不能据此记录违法行为。") % {"no": tracking_no},
        )


def _validate(
    *,
    party: Party,
    tag: BehaviourTag,
    occurred_at: dt.datetime,
    place: str,
    lat: float | None,
    lng: float | None,
    source: str,
    source_ref: str,
) -> None:
    if source not in Source.values:
        raise DomainError("source_invalid", _("违法线索来源无效。"))
    if source in (Source.CAMERA, Source.COMPLAINT) and not source_ref.strip():
        raise DomainError(
            "source_ref_required",
            _("非现场记录须填写抓拍编号或已核实投诉的编号。"),
        )
    if source == Source.COMPLAINT:
        _check_complaint(source_ref.strip())
    if timezone.is_naive(occurred_at):
        raise DomainError("naive_time", _("违法时间必须带时区。"))
    now = timezone.now()
    if occurred_at > now + CLOCK_SKEW:
        raise DomainError("future_time", _("违法时间不能晚于当前时间。"))
    if occurred_at < now - LIMITATION:
        raise DomainError(
            "time_barred",
            _(
                "违法行为已超过二年未被发现，依照《中华人民共和国行政处罚法》第三十六条不再给予行政处罚。"
            ),
        )
    if not (place or "").strip():
        raise DomainError("place_required", _("请填写违法地点。"))
    if (lat is None) != (lng is None):
        raise DomainError("coords_incomplete", _("经纬度须同时填写。"))
    if lat is not None and lng is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise DomainError("coords_invalid", _("经纬度超出范围。"))
    if tag.for_party_kinds and party.kind not in tag.for_party_kinds:
        raise DomainError(
            "tag_party_kind",
            _("行为“%(tag)s”不适用于%(kind)s当事人。")
            % {"tag": tag.name, "kind": party.get_kind_display()},
        )


def _bureau_for(district: District) -> Bureau:
    return district.bureau if district.bureau_id else bureau_main()


def _notice_context(violation: Violation, warning: Warning) -> dict[str, Any]:
    def art(a: Any) -> dict[str, str]:
        text = a.text or _("（要旨，原文待核对）%(gist)s") % {"gist": a.summary}
        return {"citation": a.full_citation, "text": text}

    tag = violation.tag
    when = timezone.localtime(violation.occurred_at).strftime("%Y年%m月%d日 %H:%M")
    return {
        "party_name": violation.party.name,
        "party_address": violation.party.address or violation.place,
        "facts": _("当事人于%(when)s在%(place)s存在“%(tag)s”行为，系%(m)s个月内第二次违法。")
        % {"when": when, "place": violation.place, "tag": tag.name, "m": violation.lookback_months},
        "articles_violated": [art(a) for a in tag.violated_articles.all()],
        "articles_basis": [
            art(a) for a in ladder.basis_articles(tag.catalogue, "warning") if a.text
        ]
        or [art(a) for a in tag.penalty_articles.all()],
        "correction": warning.correction,
        "deadline": f"{warning.deadline.year}年{warning.deadline.month}月{warning.deadline.day}日前",
        "consequence": _("逾期不改正的，将依照%(cites)s立案处罚（%(range)s）。")
        % {
            "cites": "、".join(a.full_citation for a in tag.penalty_articles.all()),
            "range": tag.penalty_text,
        },
    }


def warning_notice_issue(*, warning: Warning, by: Any, source_ip: str | None = None) -> Warning:
    """Issue the 责令（限期）改正通知书 through the documents app; on a missing signing key
    or template the warning stays stored with notice_status=pending and the reason."""
    from nuanxin.documents.services import document_issue

    violation = warning.violation
    try:
        with transaction.atomic():
            document = document_issue(
                doc_type="correction_notice",
                bureau=_bureau_for(violation.district),
                context=_notice_context(violation, warning),
                signers=[by],
                by=by,
                subject=warning,
                party_name=violation.party.name,
                source_ip=source_ip,
            )
    except DomainError as exc:
        log.warning("correction notice for warning %s not issued: %s", warning.pk, exc.message)
        with transaction.atomic():
            warning.notice_status = Warning.NoticeStatus.PENDING
            warning.notice_error = exc.message[:300]
            warning.save(update_fields=["notice_status", "notice_error"])
        return warning
    with transaction.atomic():
        warning.notice_document = document
        warning.notice_status = Warning.NoticeStatus.ISSUED
        warning.notice_error = ""
        warning.save(update_fields=["notice_document", "notice_status", "notice_error"])
        audit_record(
            actor=by,
            action="warning.notice_issue",
            obj=warning,
            after={"document": document.pk, "number": document.number},
            source_ip=source_ip,
        )
    return warning


def _credit(violation: Violation, kind: str, by: Any) -> None:
    merchant = violation.party.merchant
    if merchant is None:
        return
    from nuanxin.credit.services import credit_event_record

    credit_event_record(
        merchant=merchant,
        kind=kind,
        source=violation,
        occurred_at=violation.occurred_at,
        by=by,
        note=violation.tag.name,
    )


def violation_record(
    *,
    party: Party,
    tag: BehaviourTag,
    occurred_at: dt.datetime,
    place: str,
    lat: float | None = None,
    lng: float | None = None,
    source: str = "field",
    source_ref: str = "",
    evidence_refs: Sequence[str] = (),
    facts: dict[str, Any] | None = None,
    by: Any,
    source_ip: str | None = None,
) -> Violation:
    """Record a violation and apply the ladder over the party's history for this behaviour
    within the tag's look-back window: first → education (+ slip), second → warning (告诫)
    with a correction deadline and notice (+ slip), third or a tag without leniency →
    outcome "propose_case" for the cases app. See nuanxin.laws.discretion for `facts`."""
    _check_recorder(by)
    place = (place or "").strip()
    source_ref = (source_ref or "").strip()
    _validate(
        party=party, tag=tag, occurred_at=occurred_at, place=place, lat=lat, lng=lng,
        source=source, source_ref=source_ref,
    )  # fmt: skip
    district = _district_for(party=party, lat=lat, lng=lng, by=by)
    scope = district_scope_id(by) if not by.is_superuser else None
    if scope is not None and scope != district.pk:
        raise NotAllowed("district_scope", _("违法地点不在您所属中队的辖区内，请由属地中队记录。"))
    evidence = [str(e).strip() for e in evidence_refs if str(e).strip()]
    bureau = _bureau_for(district)
    with transaction.atomic():
        # Serialise recordings against one party so two officers cannot both see "first".
        Party.objects.select_for_update().filter(pk=party.pk).first()
        duplicate = Violation.objects.filter(
            party=party,
            tag_code=tag.code,
            occurred_at__gt=occurred_at - DUPLICATE_SPAN,
            occurred_at__lt=occurred_at + DUPLICATE_SPAN,
        ).first()
        if duplicate is not None:
            raise Conflict(
                "duplicate_violation",
                _("该当事人的同一行为已于%(time)s记录（%(by)s），请勿重复记录。")
                % {
                    "time": timezone.localtime(duplicate.occurred_at).strftime("%H:%M"),
                    "by": duplicate.recorded_by,
                },
                violation_id=duplicate.pk,
            )
        window_start = ladder.months_before(occurred_at, tag.lookback_months)
        prior = Violation.objects.filter(
            party=party,
            tag_code=tag.code,
            occurred_at__gte=window_start,
            occurred_at__lt=occurred_at,
        )
        prior_count = prior.count()
        last = prior.order_by("-occurred_at").first()
        all_facts = dict(facts or {})
        all_facts["prior_count_in_window"] = prior_count
        if last is not None:
            delta = occurred_at - last.occurred_at
            all_facts["repeat_within_months"] = int(delta.days // 30)
        proposal = discretion_propose(tag=tag, party_kind=party.kind, facts=all_facts)
        occurred_on = timezone.localtime(occurred_at).date()
        decision = ladder.ladder_decide(
            tag=tag,
            prior_count=prior_count,
            harm=str(all_facts.get("harm") or "minor"),
            occurred_on=occurred_on,
        )
        violation = Violation.objects.create(
            party=party,
            tag=tag,
            tag_code=tag.code,
            catalogue_version=tag.catalogue.version,
            occurred_at=occurred_at,
            place=place[:200],
            lat=lat,
            lng=lng,
            district=district,
            source=source,
            source_ref=source_ref[:100],
            evidence_refs=evidence,
            facts={
                k: (str(v) if not isinstance(v, bool | int | float) else v)
                for k, v in all_facts.items()
                if v is not None
            },
            prior_count=prior_count,
            lookback_months=tag.lookback_months,
            outcome=decision.outcome,
            reason=decision.reason,
            discretion={
                "level": proposal.level,
                "level_label": proposal.level_label,
                "amount": str(proposal.amount),
                "amount_min": str(proposal.amount_min),
                "amount_max": str(proposal.amount_max),
                "reasons": proposal.reasons,
                "catalogue_version": proposal.catalogue_version,
            },
            recorded_by=by,
        )
        warning = None
        if decision.outcome == Outcome.EDUCATION:
            Education.objects.create(violation=violation, content=decision.reason, educated_by=by)
        elif decision.outcome == Outcome.WARNING:
            assert decision.deadline is not None
            warning = Warning.objects.create(
                violation=violation,
                correction=tag.remedy,
                deadline=decision.deadline,
                warned_by=by,
            )
        audit_record(
            actor=by,
            action="violation.record",
            obj=violation,
            after={
                "party": party.pk,
                "tag": tag.code,
                "catalogue_version": violation.catalogue_version,
                "occurred_at": occurred_at.isoformat(),
                "district": district.pk,
                "source": source,
                "source_ref": source_ref,
                "prior_count": prior_count,
                "outcome": decision.outcome,
                "discretion_level": proposal.level,
            },
            source_ip=source_ip,
        )
        if decision.outcome in (Outcome.EDUCATION, Outcome.WARNING):
            slip_issue(
                violation=violation,
                bureau=bureau,
                by=by,
                deadline=decision.deadline,
                source_ip=source_ip,
            )
            _credit(violation, decision.outcome, by)
        if warning is not None:
            warning_notice_issue(warning=warning, by=by, source_ip=source_ip)
    return violation


@transaction.atomic
def violation_case_link(
    *, violation: Violation, case_ref: str, by: Any, source_ip: str | None = None
) -> Violation:
    """Called by the cases app once it has filed a case for a proposed violation."""
    locked = Violation.objects.select_for_update().get(pk=violation.pk)
    if locked.outcome != Outcome.PROPOSE_CASE:
        raise DomainError("not_proposed", _("该记录未建议立案。"))
    before = locked.case_ref
    locked.case_ref = str(case_ref)[:64]
    locked.save(update_fields=["case_ref"])
    audit_record(
        actor=by,
        action="violation.case_link",
        obj=locked,
        before={"case_ref": before},
        after={"case_ref": locked.case_ref},
        source_ip=source_ip,
    )
    return locked
