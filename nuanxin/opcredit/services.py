"""Operator assessments: metrics from the loop's durable rows, score, consequence, report."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record
from nuanxin.bikes.models import Bike, Operator
from nuanxin.bikes.selectors import unregistered_devices_count
from nuanxin.core.errors import Conflict, DomainError
from nuanxin.notices.models import Notice
from nuanxin.opcredit.models import Assessment, OperatorComplaint
from nuanxin.opcredit.rules import Rules, rules_load, score_breakdown

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def period_bounds(period: str, kind: str) -> tuple[str, dt.datetime, dt.datetime]:
    """'2026-11' (monthly) or '2026-Q4' / '2026-11' (quarterly) → label, start, end (Beijing)."""
    m = re.fullmatch(r"(\d{4})-(?:(\d{2})|Q([1-4]))", period.strip())
    if not m:
        raise DomainError("bad_period", _("考核期格式应为 2026-11 或 2026-Q4。"))
    year = int(m.group(1))
    if kind == Assessment.Kind.MONTHLY:
        if not m.group(2):
            raise DomainError("bad_period", _("月度考核期格式应为 2026-11。"))
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise DomainError("bad_period", _("月份无效。"))
        start = dt.datetime(year, month, 1, tzinfo=SH)
        end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=SH)
        return f"{year}-{month:02d}", start, end
    if kind != Assessment.Kind.QUARTERLY:
        raise DomainError("bad_kind", _("考核类型应为 monthly 或 quarterly。"))
    quarter = int(m.group(3)) if m.group(3) else (int(m.group(2)) - 1) // 3 + 1
    if not 1 <= quarter <= 4:
        raise DomainError("bad_period", _("季度无效。"))
    start = dt.datetime(year, 3 * quarter - 2, 1, tzinfo=SH)
    end = dt.datetime(year + (quarter == 4), (3 * quarter) % 12 + 1, 1, tzinfo=SH)
    return f"{year}-Q{quarter}", start, end


def operator_metrics(*, operator: Operator, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    notices = Notice.objects.filter(
        operator=operator, kind=Notice.Kind.VIOLATION, issued_at__gte=start, issued_at__lt=end
    )
    issued = notices.count()
    fixed = list(notices.filter(status=Notice.Status.FIXED).values_list("observed_at", "fixed_at"))
    penalised = notices.filter(status=Notice.Status.PENALISED).count()
    fleet = Bike.objects.filter(operator=operator, registered_at__lt=end).count()
    responses = [(f - o).total_seconds() / 60 for o, f in fixed if f and o]
    closed = len(fixed) + penalised
    complaints = OperatorComplaint.objects.filter(
        operator=operator, valid=True, received_at__gte=start, received_at__lt=end
    ).count()
    per100 = 100.0 / fleet if fleet else 0.0
    return {
        "fleet": fleet,
        "notices": issued,
        "fixed": len(fixed),
        "penalised": penalised,
        "complaints_count": complaints,
        "response_time": sum(responses) / len(responses) if responses else 0.0,
        "rectification_rate": len(fixed) / closed if closed else 1.0,
        "violations_per_100": issued * per100,
        "unregistered_bikes": float(
            unregistered_devices_count(operator=operator, since=start, until=end)
        ),
        "complaints": complaints * per100,
    }


def _outcome(
    rules: Rules, operator: Operator, kind: str, start: dt.datetime, score: Decimal, metrics: dict
) -> tuple[str, int, list[str]]:
    t, o = rules.thresholds, rules.outcomes
    quota = operator.quota
    reasons: list[str] = []
    previous = list(
        Assessment.objects.filter(operator=operator, kind=kind, period_start__lt=start)
        .order_by("-period_start")
        .values_list("score", flat=True)[: int(t["exit_consecutive"]) - 1]
    )
    low = float(score) < t["exit_below"]
    if (
        low
        and len(previous) == int(t["exit_consecutive"]) - 1
        and all(float(p) < t["exit_below"] for p in previous)
    ):
        reasons.append(
            _("连续 %(n)d 期得分低于 %(t)s 分，依规清退。")
            % {"n": int(t["exit_consecutive"]), "t": t["exit_below"]}
        )
        return Assessment.Outcome.EXIT, 0, reasons
    delta = 0
    outcome = Assessment.Outcome.NONE
    if float(score) >= t["reward_min"]:
        delta += round(quota * o["reward_quota_percent"] / 100)
        outcome = Assessment.Outcome.REWARD
        reasons.append(
            _("得分不低于 %(t)s 分，配额增加 %(p)s%%。")
            % {"t": t["reward_min"], "p": o["reward_quota_percent"]}
        )
    if float(score) < t["penalty_below"]:
        delta -= round(quota * o["penalty_quota_percent"] / 100)
        outcome = Assessment.Outcome.PENALTY
        reasons.append(
            _("得分低于 %(t)s 分，配额削减 %(p)s%%。")
            % {"t": t["penalty_below"], "p": o["penalty_quota_percent"]}
        )
    unregistered = int(metrics["unregistered_bikes"])
    if unregistered:
        cut = unregistered * int(o["quota_cut_per_unregistered_bike"])
        delta -= cut
        outcome = Assessment.Outcome.PENALTY
        reasons.append(
            _("发现未登记车辆 %(n)d 辆，每辆削减配额 %(k)d 辆，共 %(c)d 辆。")
            % {"n": unregistered, "k": int(o["quota_cut_per_unregistered_bike"]), "c": cut}
        )
    if low:
        reasons.append(
            _("得分低于清退线 %(t)s 分；若下一期仍低于该线，将被清退。") % {"t": t["exit_below"]}
        )
    if not reasons:
        reasons.append(_("得分在奖惩区间之间，配额维持不变。"))
    return outcome, max(0, quota + delta), reasons


def assessment_run(
    *,
    operator: Operator,
    period: str,
    kind: str = "monthly",
    by: Any = None,
    rules: Rules | None = None,
) -> Assessment:
    """Assess one operator for one period; apply the quota change or the exit; write the PDF."""
    label, start, end = period_bounds(period, kind)
    if end > timezone.now():
        raise DomainError("period_not_over", _("考核期 %(p)s 尚未结束。") % {"p": label})
    rules = rules or rules_load()
    if Assessment.objects.filter(operator=operator, kind=kind, period=label).exists():
        raise Conflict(
            "assessment_exists",
            _("%(op)s 的 %(p)s 考核已完成，不能重复考核。") % {"op": operator.name, "p": label},
        )
    metrics = operator_metrics(operator=operator, start=start, end=end)
    score, breakdown = score_breakdown(rules, metrics)
    with transaction.atomic():
        op = Operator.objects.select_for_update().get(pk=operator.pk)
        outcome, quota_after, reasons = _outcome(rules, op, kind, start, score, metrics)
        assessment = Assessment.objects.create(
            operator=op,
            kind=kind,
            period=label,
            period_start=start,
            period_end=end,
            score=score,
            metrics=metrics,
            breakdown=breakdown,
            outcome=outcome,
            outcome_reasons=reasons,
            quota_before=op.quota,
            quota_after=quota_after,
            rules_version=rules.version,
            rules_sha256=rules.sha256,
            created_by=by if getattr(by, "pk", None) else None,
        )
        before = {"quota": op.quota, "status": op.status}
        if outcome == Assessment.Outcome.EXIT:
            op.status = Operator.Status.EXITED
        op.quota = quota_after
        op.save(update_fields=["quota", "status"])
        from nuanxin.opcredit.report import assessment_pdf

        assessment.pdf.save(
            f"{op.code}-{kind}-{label}.pdf", ContentFile(assessment_pdf(assessment)), save=True
        )
        audit_record(
            actor=by,
            actor_label="" if getattr(by, "pk", None) else "system:opcredit",
            action="opcredit.assess",
            obj=assessment,
            before=before,
            after={
                "quota": op.quota,
                "status": op.status,
                "score": score,
                "outcome": outcome,
                "rules": rules.version,
            },
        )
    return assessment
