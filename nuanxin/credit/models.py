from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CreditEvent(models.Model):
    """One credit-relevant fact about a merchant, reported by the app where it happened.

    The source is referenced generically (type label + id + human label) so the credit app
    never imports feedback, violations or cases. A (kind, source) pair is recorded once.
    """

    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.CASCADE, related_name="credit_events"
    )
    kind = models.CharField(_("事件类型"), max_length=40, db_index=True)
    value = models.DecimalField(_("数值"), max_digits=12, decimal_places=2, null=True, blank=True)
    occurred_at = models.DateTimeField(_("发生时间"), db_index=True)
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)
    source_type = models.CharField(_("来源类型"), max_length=100, blank=True)
    source_id = models.CharField(_("来源编号"), max_length=64, blank=True)
    source_label = models.CharField(_("来源"), max_length=200, blank=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("信用事件")
        verbose_name_plural = _("信用事件")
        ordering = ["occurred_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source_type", "source_id"],
                condition=~models.Q(source_id=""),
                name="credit_event_once_per_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.source_label or self.pk}"


class CreditState(models.Model):
    """The merchant's current score and level (kept in step with CreditScore history)."""

    merchant = models.OneToOneField(
        "merchants.Merchant", on_delete=models.CASCADE, primary_key=True, related_name="credit"
    )
    score = models.DecimalField(_("信用分"), max_digits=6, decimal_places=1)
    level = models.CharField(_("信用等级"), max_length=2, db_index=True)
    rules_version = models.CharField(_("规则版本"), max_length=32)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("当前信用")
        verbose_name_plural = _("当前信用")

    def __str__(self) -> str:
        return f"{self.level} ({self.score})"


class CreditScore(models.Model):
    """History: one row each time a merchant's score or level changes."""

    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.CASCADE, related_name="credit_scores"
    )
    score = models.DecimalField(_("信用分"), max_digits=6, decimal_places=1)
    level = models.CharField(_("信用等级"), max_length=2)
    previous_score = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    previous_level = models.CharField(max_length=2, blank=True)
    rules_version = models.CharField(_("规则版本"), max_length=32)
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now, db_index=True)
    trigger = models.ForeignKey(
        CreditEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    breakdown = models.JSONField(_("明细"), default=list)

    class Meta:
        verbose_name = _("信用分历史")
        verbose_name_plural = _("信用分历史")
        ordering = ["-computed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.merchant_id}: {self.level} {self.score}"
