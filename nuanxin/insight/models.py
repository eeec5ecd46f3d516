"""Rebalancing recommendations (and whether they were followed) and fleet-size runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RebalancePlan(models.Model):
    """One set of recommended moves for one operator, for one window."""

    operator = models.ForeignKey(
        "bikes.Operator",
        on_delete=models.CASCADE,
        related_name="rebalance_plans",
        verbose_name=_("运营企业"),
    )
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.PositiveSmallIntegerField(_("H3分辨率"), default=9)
    window_start = models.DateTimeField(_("调度窗口开始"))
    window_hours = models.PositiveSmallIntegerField(_("调度窗口（小时）"), default=2)
    demand_source = models.CharField(_("需求来源"), max_length=32)
    params = models.JSONField(_("参数"), default=dict)
    total_bikes = models.PositiveIntegerField(_("建议调度车辆"), default=0)
    evaluated_at = models.DateTimeField(_("执行核验时间"), null=True, blank=True)
    acted_bikes = models.PositiveIntegerField(_("已执行车辆"), null=True, blank=True)

    class Meta:
        verbose_name = _("调度建议")
        verbose_name_plural = _("调度建议")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.operator} {self.window_start:%Y-%m-%d %H:%M}"

    @property
    def acted_share(self) -> float | None:
        if self.acted_bikes is None or not self.total_bikes:
            return None
        return self.acted_bikes / self.total_bikes


class RebalanceMove(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", _("待核验")
        ACTED = "acted", _("已执行")
        PARTIAL = "partial", _("部分执行")
        IGNORED = "ignored", _("未执行")

    plan = models.ForeignKey(RebalancePlan, on_delete=models.CASCADE, related_name="moves")
    from_cell = models.CharField(_("调出网格"), max_length=16)
    to_cell = models.CharField(_("调入网格"), max_length=16)
    from_lat = models.FloatField()
    from_lng = models.FloatField()
    to_lat = models.FloatField()
    to_lng = models.FloatField()
    bikes = models.PositiveIntegerField(_("车辆数"))
    distance_m = models.PositiveIntegerField(_("距离（米）"))
    truck_loads = models.PositiveSmallIntegerField(_("车次"))
    from_before = models.PositiveIntegerField(_("调出网格原有车辆"))
    to_before = models.PositiveIntegerField(_("调入网格原有车辆"))
    outcome = models.CharField(
        _("执行情况"), max_length=12, choices=Outcome.choices, default=Outcome.PENDING
    )
    acted_bikes = models.PositiveIntegerField(_("实际调入"), null=True, blank=True)

    class Meta:
        verbose_name = _("调度建议明细")
        verbose_name_plural = _("调度建议明细")
        ordering = ["plan", "-bikes"]

    def __str__(self) -> str:
        return f"{self.from_cell}→{self.to_cell} ×{self.bikes}"


class FleetSizeRun(models.Model):
    """One `fleet_size` search: the result, the split by operator and the report."""

    created_at = models.DateTimeField(_("运演时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target = models.FloatField(_("目标服务水平"))
    met = models.BooleanField(_("是否达标"))
    fleet = models.PositiveIntegerField(_("建议总量（辆）"))
    achieved = models.FloatField(_("达到的服务水平"))
    demand_source = models.CharField(_("需求来源"), max_length=32)
    split_basis = models.CharField(_("分配依据"), max_length=32)
    split = models.JSONField(_("分配方案"), default=dict)  # {operator_code: bikes}
    config = models.JSONField(_("运演配置"), default=dict)
    evaluations = models.JSONField(_("搜索过程"), default=list)
    report_path = models.CharField(_("报告路径"), max_length=300, blank=True)
    applied_at = models.DateTimeField(_("配额应用时间"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("投放总量运演")
        verbose_name_plural = _("投放总量运演")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.fleet}"
