from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from nuanxin.core.fields import AppendOnlyAutoField, RowidOneToOneField, WrittenJSONField


class Verdict(models.TextChoices):
    IN_SPOT = "in_spot", _("规范停放")
    OUTSIDE = "outside", _("违规停放")
    UNCERTAIN = "uncertain", _("待确认")


RULE_LABELS = {
    "inside": _("定位点在停放点范围内"),
    "within_tolerance": _("定位点距停放点不超过容差"),
    "beacon_confirmed": _("停放点蓝牙道钉确认车辆在点内"),
    "beyond_error": _("距最近停放点超过“定位精度 + 容差”"),
    "no_spot_nearby": _("搜索半径内没有停放点"),
    "within_error": _("距离在定位误差范围内，无法确定"),
    "within_error_no_beacon": _("距离在定位误差范围内，停放点有道钉但未收到道钉信号"),
    "poor_accuracy": _("搜索半径内没有停放点，且“定位精度 + 容差”不小于搜索半径，无法判断"),
}


class ParkingCheck(models.Model):
    """One compliance decision for one parked-bike observation, with its explanation."""

    id = AppendOnlyAutoField(primary_key=True)
    # One row per parked observation (the ingest hot path): indexes are kept to what the
    # reads use; the FKs are covered by the (bike|operator, observed_at) indexes below.
    bike = models.ForeignKey(
        "bikes.Bike", on_delete=models.CASCADE, related_name="parking_checks", db_index=False
    )
    operator = models.ForeignKey(
        "bikes.Operator", on_delete=models.CASCADE, related_name="parking_checks", db_index=False
    )
    observed_at = models.DateTimeField(_("观测时间"), db_index=True)
    lat = models.FloatField(_("纬度"))
    lng = models.FloatField(_("经度"))
    accuracy_m = models.FloatField(_("上报定位精度 (米)"), null=True, blank=True)
    accuracy_used_m = models.FloatField(_("采用的定位精度 (米)"))
    tolerance_m = models.FloatField(_("容差 (米)"))
    beacon_ids = WrittenJSONField(_("收到的道钉"), default=list, blank=True)
    source = models.CharField(_("来源"), max_length=12)
    source_id = models.CharField(_("来源编号"), max_length=64)
    verdict = models.CharField(_("结论"), max_length=12, choices=Verdict.choices)
    rule = models.CharField(_("规则"), max_length=32)
    spot = models.ForeignKey(  # spots are retired, never deleted, and no read looks up by spot
        "bikes.Spot",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    spot_version = models.ForeignKey(  # versions are closed, never deleted: no index needed
        "bikes.SpotVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    distance_m = models.FloatField(_("距最近停放点 (米)"), null=True, blank=True)
    beacon_confirmed = models.BooleanField(_("道钉确认"), default=False)
    spots_stamp = models.BigIntegerField(_("停放点数据版本"), default=0)
    created_at = models.DateTimeField(_("判定时间"), default=timezone.now)

    class Meta:
        verbose_name = _("停放判定")
        verbose_name_plural = _("停放判定")
        ordering = ["-observed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="parking_check_once")
        ]
        indexes = [
            models.Index(fields=["operator", "observed_at"]),
            models.Index(fields=["bike", "observed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.bike_id}@{self.observed_at:%Y-%m-%d %H:%M:%S} {self.verdict}"

    def explanation_text(self) -> str:
        rule = gettext(str(RULE_LABELS.get(self.rule, self.rule)))
        if self.distance_m is None:
            where = gettext("附近没有停放点")
        else:
            where = gettext("距最近停放点 %(spot)s（第 %(version)s 版）%(d).1f 米") % {
                "spot": self.spot.code if self.spot else "-",
                "version": self.spot_version.version if self.spot_version else "-",
                "d": self.distance_m,
            }
        return gettext("%(where)s；定位精度 %(acc).1f 米，容差 %(tol).1f 米；依据：%(rule)s。") % {
            "where": where,
            "acc": self.accuracy_used_m,
            "tol": self.tolerance_m,
            "rule": rule,
        }

    def explanation(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "rule": self.rule,
            "rule_label": gettext(str(RULE_LABELS.get(self.rule, self.rule))),
            "nearest_spot": self.spot.code if self.spot_id and self.spot else None,
            "spot_version": self.spot_version.version if self.spot_version else None,
            "spot_version_id": self.spot_version_id,
            "distance_m": None if self.distance_m is None else round(self.distance_m, 2),
            "accuracy_m": self.accuracy_m,
            "accuracy_used_m": self.accuracy_used_m,
            "tolerance_m": self.tolerance_m,
            "beacon_ids": self.beacon_ids,
            "beacon_confirmed": self.beacon_confirmed,
            "text": self.explanation_text(),
        }


class BikeParking(models.Model):
    """The latest compliance state of each bike (kept by observation time), for occupancy."""

    bike = RowidOneToOneField(
        "bikes.Bike", primary_key=True, on_delete=models.CASCADE, related_name="parking"
    )
    operator = models.ForeignKey("bikes.Operator", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()
    verdict = models.CharField(max_length=12, choices=Verdict.choices, blank=True)
    spot = models.ForeignKey(  # covered by the (spot, parked) index
        "bikes.Spot",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    check_id_ref = models.BigIntegerField(null=True, blank=True)
    parked = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("车辆停放状态")
        verbose_name_plural = _("车辆停放状态")
        indexes = [models.Index(fields=["spot", "parked"])]
        constraints = [
            # A spot is recorded only for a bike parked in it: occupancy then counts from
            # the (spot, parked) index alone.
            models.CheckConstraint(
                condition=models.Q(spot__isnull=True) | models.Q(verdict="in_spot"),
                name="parking_spot_only_in_spot",
            )
        ]

    def __str__(self) -> str:
        return f"{self.bike_id}: {self.verdict or 'moving'}"


class OverflowAlert(models.Model):
    """A spot holding more bikes than its capacity, with each operator's share."""

    spot = models.ForeignKey("bikes.Spot", on_delete=models.CASCADE, related_name="overflows")
    spot_version = models.ForeignKey(
        "bikes.SpotVersion", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    capacity = models.PositiveIntegerField(_("容量"))
    count = models.PositiveIntegerField(_("当前车辆数"))
    peak = models.PositiveIntegerField(_("峰值车辆数"))
    shares = models.JSONField(_("各企业车辆数"), default=dict)
    opened_at = models.DateTimeField(_("发生时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("解除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("停放点超容告警")
        verbose_name_plural = _("停放点超容告警")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["spot"],
                condition=models.Q(closed_at__isnull=True),
                name="overflow_one_open_per_spot",
            )
        ]

    def __str__(self) -> str:
        return f"{self.spot_id}: {self.count}/{self.capacity}"
