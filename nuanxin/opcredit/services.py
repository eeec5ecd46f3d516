"""Operator assessments: metrics from the loop's durable rows, score, consequence, report."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from nuanxin.audit.services import audit_record
from nuanxin.bikes.models import Bike, Operator, UnregisteredSighting
from nuanxin.core.errors import Conflict, DomainError, NotAllowed
from nuanxin.notices.models import Notice
from nuanxin.opcredit.explain import reason, reason_text
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


def period_adjacent(label: str, kind: str, step: int) -> str:
    """The period `step` periods after `label` (before, when negative): 2026-08 −1 → 2026-07."""
    if kind == Assessment.Kind.MONTHLY:
        year, month = (int(x) for x in label.split("-"))
        index = year * 12 + month - 1 + step
        return f"{index // 12}-{index % 12 + 1:02d}"
    year, quarter = (int(x) for x in label.split("-Q"))
    index = year * 4 + quarter - 1 + step
    return f"{index // 4}-Q{index % 4 + 1}"


def _unregistered_devices(*, operator: Operator, start: dt.datetime, end: dt.datetime) -> list[str]:
    """Distinct unregistered device_ids the operator reported in the period (sorted).

    The same window as `bikes.selectors.unregistered_devices_count`; the ids are needed so
    that a device cut once is never cut again (a selector for them belongs in bikes).
    """
    ids = UnregisteredSighting.objects.filter(
        operator=operator, last_seen_at__gte=start, first_seen_at__lt=end
    ).values_list("device_id", flat=True)
    return sorted({str(d) for d in ids})


def operator_metrics(
    *, operator: Operator, start: dt.datetime, end: dt.datetime, rules: Rules | None = None
) -> dict[str, Any]:
    """The period's raw figures and the five metric values (see data/opcredit/rules.yaml).

    A reminder penalised (not fixed in time) counts in the average response time as the
    rules' `unfixed_minutes`; the response time is 0 (full marks) only when no reminder was
    decided. With no registered bike the per-100-bike metrics are the raw counts.
    """
    rules = rules or rules_load()
    notices = Notice.objects.filter(
        operator=operator, kind=Notice.Kind.VIOLATION, issued_at__gte=start, issued_at__lt=end
    )
    issued = notices.count()
    fixed = list(notices.filter(status=Notice.Status.FIXED).values_list("observed_at", "fixed_at"))
    penalised = notices.filter(status=Notice.Status.PENALISED).count()
    fleet = Bike.objects.filter(operator=operator, registered_at__lt=end).count()
    responses = [(f - o).total_seconds() / 60 for o, f in fixed if f and o]
    unfixed_minutes = rules.metrics["response_time"]["unfixed_minutes"]  # as the rules say it
    decided = len(responses) + penalised
    closed = len(fixed) + penalised
    complaints = OperatorComplaint.objects.filter(
        operator=operator, valid=True, received_at__gte=start, received_at__lt=end
    ).count()
    per100 = 100.0 / fleet if fleet else 1.0  # no fleet: the raw count, never a rate of 0
    devices = _unregistered_devices(operator=operator, start=start, end=end)
    return {
        "fleet": fleet,
        "notices": issued,
        "fixed": len(fixed),
        "penalised": penalised,
        "complaints_count": complaints,
        "rate_basis": "per_100_bikes" if fleet else "raw_count",
        "response_fixed": len(responses),
        "response_fixed_avg": round(sum(responses) / len(responses), 2) if responses else 0.0,
        "response_unfixed_minutes": unfixed_minutes,
        "response_time": (
            (sum(responses) + penalised * float(unfixed_minutes)) / decided if decided else 0.0
        ),
        "rectification_rate": len(fixed) / closed if closed else 1.0,
        "violations_per_100": issued * per100,
        "unregistered_bikes": float(len(devices)),
        "unregistered_device_ids": devices,
        "complaints": complaints * per100,
    }


@dataclass
class Decision:
    """What an assessment does: its outcome, the new quota, the reasons ({code, params})."""

    outcome: str
    quota_after: int
    reasons: list[dict[str, Any]]
    detail: dict[str, Any] = field(default_factory=dict)


def _bikes(quota: int, percent: Decimal) -> int:
    """`percent` % of `quota`, in whole bikes, rounded half up (never banker's rounding)."""
    return int((Decimal(quota) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _low_run(operator: Operator, kind: str, label: str, line: Decimal) -> list[str]:
    """The adjacent periods of `kind` below `line`, `label` included (assumed low), in order.

    Only adjacent periods count (2026-07 and 2026-08; 2026-Q2 and 2026-Q3): a period never
    assessed breaks the run. Later periods count too, so assessing a period late (after the
    next one) finds the same run. A run that already led to an exit is spent: it stops the
    walk back, and a later run that ends in an exit is not counted again.
    """
    rows = {
        period: (score, outcome)
        for period, score, outcome in Assessment.objects.filter(
            operator=operator, kind=kind
        ).values_list("period", "score", "outcome")
    }
    exit_ = Assessment.Outcome.EXIT
    run = [label]
    p = period_adjacent(label, kind, -1)
    while p in rows and rows[p][0] < line and rows[p][1] != exit_:
        run.append(p)
        p = period_adjacent(p, kind, -1)
    later: list[str] = []
    p = period_adjacent(label, kind, 1)
    while p in rows and rows[p][0] < line:
        if rows[p][1] == exit_:  # these periods already made the operator exit
            later = []
            break
        later.append(p)
        p = period_adjacent(p, kind, 1)
    return sorted(run + later)


def _devices_already_cut(operator: Operator) -> set[str]:
    cut: set[str] = set()
    for detail in Assessment.objects.filter(operator=operator).values_list(
        "outcome_detail", flat=True
    ):
        cut.update((detail or {}).get("devices_cut", []))
    return cut


def _outcome(
    rules: Rules,
    operator: Operator,
    kind: str,
    label: str,
    score: Decimal,
    metrics: dict[str, Any],
    devices: list[str],
) -> Decision:
    """The consequence of one assessment, from the rules (data) and the operator's history.

    `kinds.<kind>.adjusts_quota` says whether this kind changes the quota (monthly) or only
    scores, reports and decides exit (quarterly), so one event never changes the quota twice.
    The outcome follows the net quota change; each part (reward, cuts) is its own reason.
    """
    t, o = rules.thresholds, rules.outcomes
    does = rules.kind(kind)
    quota = operator.quota
    reasons: list[dict[str, Any]] = []
    detail: dict[str, Any] = {"adjusts_quota": does["adjusts_quota"]}
    low = does["decides_exit"] and score < t["exit_below"]
    needed = int(t["exit_consecutive"])
    run = _low_run(operator, kind, label, t["exit_below"]) if low else []
    if low:
        detail["low_run"] = run
        if len(run) >= needed:
            reasons.append(reason("exit", periods=run, n=len(run), t=str(t["exit_below"])))
            return Decision(Assessment.Outcome.EXIT, 0, reasons, detail)
    warning = (
        reason(
            "low_warning",
            t=str(t["exit_below"]),
            k=len(run),
            n=needed,
            next=period_adjacent(label, kind, 1),
        )
        if low
        else None
    )
    if not does["adjusts_quota"]:
        reasons.append(reason("no_quota_kind", kind=kind))
        if warning:
            reasons.append(warning)
        return Decision(Assessment.Outcome.NONE, quota, reasons, detail)

    reward = cut_score = cut_unregistered = 0
    if score >= t["reward_min"]:
        if metrics["fleet"] >= t["reward_min_fleet"]:
            reward = max(int(o["reward_min_bikes"]), _bikes(quota, o["reward_quota_percent"]))
            reasons.append(
                reason(
                    "reward",
                    t=str(t["reward_min"]),
                    p=str(o["reward_quota_percent"]),
                    q=quota,
                    min=int(o["reward_min_bikes"]),
                    bikes=reward,
                )
            )
        else:
            reasons.append(
                reason("reward_no_fleet", t=str(t["reward_min"]), f=int(t["reward_min_fleet"]))
            )
    if score < t["penalty_below"]:
        cut_score = min(
            quota, max(int(o["penalty_min_bikes"]), _bikes(quota, o["penalty_quota_percent"]))
        )
        reasons.append(
            reason(
                "penalty",
                t=str(t["penalty_below"]),
                p=str(o["penalty_quota_percent"]),
                q=quota,
                min=int(o["penalty_min_bikes"]),
                bikes=cut_score,
            )
        )
    per_bike = int(o["quota_cut_per_unregistered_bike"])
    already = _devices_already_cut(operator)
    new = [d for d in devices if d not in already]
    if new and per_bike:
        cut_unregistered = len(new) * per_bike
        detail["devices_cut"] = new
        reasons.append(reason("unregistered", n=len(new), k=per_bike, c=cut_unregistered))
    if len(devices) > len(new):
        reasons.append(reason("unregistered_already", n=len(devices) - len(new)))
    quota_after = max(0, quota + reward - cut_score - cut_unregistered)
    if reward or cut_score or cut_unregistered:
        reasons.append(
            reason(
                "quota_net",
                before=quota,
                after=quota_after,
                plus=reward,
                minus=quota + reward - quota_after,  # what was cut: never below a quota of 0
                net=f"{quota_after - quota:+d}",
            )
        )
    if warning:
        reasons.append(warning)
    in_band = t["penalty_below"] <= score < t["reward_min"]
    if in_band and not (reward or cut_score or cut_unregistered):
        reasons.insert(0, reason("unchanged"))
    detail.update(reward=reward, cut_score=cut_score, cut_unregistered=cut_unregistered)
    net = quota_after - quota
    outcome = (
        Assessment.Outcome.REWARD
        if net > 0
        else Assessment.Outcome.PENALTY
        if net < 0
        else Assessment.Outcome.NONE
    )
    return Decision(outcome, quota_after, reasons, detail)


def assessment_run(
    *,
    operator: Operator,
    period: str,
    kind: str = "monthly",
    by: Any = None,
    rules: Rules | None = None,
) -> Assessment:
    """Assess one operator for one period; apply the quota change or the exit; write the PDF.

    The stored explanations (and the PDF, the official document) are Chinese whatever the
    caller's language; their parameters are stored too, for pages in the reader's language.
    """
    label, start, end = period_bounds(period, kind)
    if end > timezone.now():
        raise DomainError("period_not_over", _("考核期 %(p)s 尚未结束。") % {"p": label})
    rules = rules or rules_load()
    if Assessment.objects.filter(operator=operator, kind=kind, period=label).exists():
        raise Conflict(
            "assessment_exists",
            _("%(op)s 的 %(p)s 考核已完成，不能重复考核。") % {"op": operator.name, "p": label},
        )
    metrics = operator_metrics(operator=operator, start=start, end=end, rules=rules)
    devices = metrics.pop("unregistered_device_ids")
    with translation.override(settings.LANGUAGE_CODE):
        score, breakdown = score_breakdown(rules, metrics)
    with transaction.atomic():
        op = Operator.objects.select_for_update().get(pk=operator.pk)
        decision = _outcome(rules, op, kind, label, score, metrics, devices)
        with translation.override(settings.LANGUAGE_CODE):
            texts = [reason_text(r) for r in decision.reasons]
        assessment = Assessment.objects.create(
            operator=op,
            kind=kind,
            period=label,
            period_start=start,
            period_end=end,
            score=score,
            metrics=metrics,
            breakdown=breakdown,
            outcome=decision.outcome,
            outcome_reasons=texts,
            outcome_detail={**decision.detail, "reasons": decision.reasons},
            quota_before=op.quota,
            quota_after=decision.quota_after,
            rules_version=rules.version,
            rules_sha256=rules.sha256,
            created_by=by if getattr(by, "pk", None) else None,
        )
        before = {"quota": op.quota, "status": op.status}
        if decision.outcome == Assessment.Outcome.EXIT:
            op.status = Operator.Status.EXITED
        op.quota = decision.quota_after
        op.save(update_fields=["quota", "status"])
        from nuanxin.opcredit.report import assessment_pdf

        with translation.override(settings.LANGUAGE_CODE):
            pdf = assessment_pdf(assessment)
        assessment.pdf.save(f"{op.code}-{kind}-{label}.pdf", ContentFile(pdf), save=True)
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
                "outcome": decision.outcome,
                "reward": decision.detail.get("reward", 0),
                "cut": decision.detail.get("cut_score", 0)
                + decision.detail.get("cut_unregistered", 0),
                "rules": rules.version,
            },
        )
    return assessment


REINSTATE_ROLES = ("chief", "bureau_admin")


def operator_reinstate(
    *, operator: Operator, by: Any, reason: str, quota: int | None = None
) -> Operator:
    """Let an exited operator run again (a bureau decision): status active, audited.

    Only a chief or a bureau admin may; the reason is required and recorded. `quota` sets
    the quota it restarts with (an exit leaves 0); None keeps it. The low periods that led to
    the exit are spent: they never count towards another exit (see `_low_run`).
    """
    text = (reason or "").strip()
    if not getattr(by, "pk", None) or not (
        by.is_superuser or getattr(by, "role", "") in REINSTATE_ROLES
    ):
        raise NotAllowed("not_chief", _("只有负责人或局管理员可以恢复运营企业。"))
    if not text:
        raise DomainError("reason_required", _("恢复运营企业须说明理由。"))
    if quota is not None and quota < 0:
        raise DomainError("bad_quota", _("配额不能为负数。"))
    with transaction.atomic():
        op = Operator.objects.select_for_update().get(pk=operator.pk)
        if op.status != Operator.Status.EXITED:
            raise Conflict(
                "operator_not_exited", _("%(op)s 未被清退，无需恢复。") % {"op": op.name}
            )
        before = {"status": op.status, "quota": op.quota}
        op.status = Operator.Status.ACTIVE
        if quota is not None:
            op.quota = quota
        op.save(update_fields=["status", "quota"])
        audit_record(
            actor=by,
            action="opcredit.reinstate",
            obj=op,
            before=before,
            after={"status": op.status, "quota": op.quota, "reason": text},
        )
    return op
