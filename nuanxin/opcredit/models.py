from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nuanxin.opcredit.explain import breakdown_display, reasons_display


class OperatorComplaint(models.Model):
    """A valid public complaint about an operator's bikes (12319, hotline), for scoring."""

    operator = models.ForeignKey(
        "bikes.Operator", on_delete=models.CASCADE, related_name="complaints"
    )
    received_at = models.DateTimeField(_("受理时间"), default=timezone.now, db_index=True)
    source = models.CharField(_("来源"), max_length=40, default="12319")
    summary = models.CharField(_("内容摘要"), max_length=300)
    valid = models.BooleanField(_("有效投诉"), default=True)

    class Meta:
        verbose_name = _("运营企业投诉")
        verbose_name_plural = _("运营企业投诉")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.operator_id} {self.received_at:%Y-%m-%d} {self.summary[:20]}"


class Assessment(models.Model):
    """One operator's score for one period, with its explanation and its consequence."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("月度")
        QUARTERLY = "quarterly", _("季度")

    class Outcome(models.TextChoices):
        REWARD = "reward", _("奖励（增加配额）")
        NONE = "none", _("维持")
        PENALTY = "penalty", _("处罚（削减配额）")
        EXIT = "exit", _("清退")

    operator = models.ForeignKey(
        "bikes.Operator", on_delete=models.PROTECT, related_name="assessments"
    )
    kind = models.CharField(_("考核类型"), max_length=12, choices=Kind.choices)
    period = models.CharField(_("考核期"), max_length=10)
    period_start = models.DateTimeField(_("开始"))
    period_end = models.DateTimeField(_("结束"))
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=2)
    metrics = models.JSONField(_("指标原值"), default=dict)
    breakdown = models.JSONField(_("得分说明"), default=list)
    outcome = models.CharField(_("考核结果"), max_length=12, choices=Outcome.choices)
    outcome_reasons = models.JSONField(_("结果依据"), default=list)
    # What the outcome was made of: "reasons" ({code, params} per reason, rendered in the
    # reader's language), "reward" / "cut_score" / "cut_unregistered" (bikes), "devices_cut"
    # (the unregistered device_ids this assessment cut, so no later one cuts them again),
    # "adjusts_quota", "low_run" (adjacent low periods). Empty for assessments made before.
    outcome_detail = models.JSONField(_("结果明细"), default=dict, blank=True)
    quota_before = models.PositiveIntegerField(_("原配额"))
    quota_after = models.PositiveIntegerField(_("新配额"))
    rules_version = models.CharField(_("规则版本"), max_length=20)
    rules_sha256 = models.CharField(max_length=64)
    pdf = models.FileField(_("考核报告"), upload_to="opcredit/", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("企业考核")
        verbose_name_plural = _("企业考核")
        ordering = ["-period_start", "operator"]
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "kind", "period"], name="assessment_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operator_id} {self.period} {self.score}"

    @property
    def quota_delta(self) -> int:
        return self.quota_after - self.quota_before

    def reasons_display(self) -> list[str]:
        """The outcome reasons in the active language (the stored Chinese for older rows)."""
        return reasons_display(self.outcome_detail, self.outcome_reasons)

    def breakdown_display(self) -> list[dict]:
        """The score breakdown in the active language (as stored for older rows)."""
        return breakdown_display(self.breakdown)
