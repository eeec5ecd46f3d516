"""What operators send us over MDS Agency (events, telemetry, trips) and what we publish (Policy).

Rows are written in bulk by nuanxin.mds.services.ingest; nothing here has logic in save().
Geographies are not a table of their own: each SpotVersion is one MDS `stop` geography
(its geography_id), and the city boundary is one `municipal_boundary` geography.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nuanxin.core.fields import AppendOnlyAutoField, WrittenJSONField


class MdsEvent(models.Model):
    id = AppendOnlyAutoField(primary_key=True)
    event_id = models.UUIDField(_("event_id"), unique=True)
    # The FKs' own indexes would only repeat the leading column of the composite indexes
    # below, at the cost of two more B-tree writes per ingested event.
    operator = models.ForeignKey(
        "bikes.Operator", on_delete=models.PROTECT, related_name="mds_events", db_index=False
    )
    bike = models.ForeignKey(
        "bikes.Bike", on_delete=models.PROTECT, related_name="events", db_index=False
    )
    vehicle_state = models.CharField(_("车辆状态"), max_length=20)
    event_types = WrittenJSONField(_("事件类型"), default=list)
    timestamp = models.DateTimeField(_("事件时间"))
    publication_time = models.DateTimeField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    battery_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    trip_ids = WrittenJSONField(default=list, blank=True)
    associated_ticket = models.CharField(max_length=64, blank=True)
    beacon_ids = WrittenJSONField(default=list, blank=True)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)
    payload = WrittenJSONField(_("原始报文"), default=dict)
    # The compliance decision of a parked event judged in spot, kept on the event itself
    # (`compliance.writes.Decision.inline_json`): the decisions that need follow-up
    # (outside, uncertain) are ParkingCheck rows, which notices reference. Ingest judges
    # hundreds of in-spot parkings per batch, and a row of their own with its four indexes
    # was a fifth of the batch's write-lock time. NULL: not parked, or decided elsewhere.
    decision = WrittenJSONField(_("停放判定"), null=True, blank=True)

    class Meta:
        verbose_name = _("MDS事件")
        verbose_name_plural = _("MDS事件")
        indexes = [
            models.Index(fields=["bike", "timestamp"]),
            models.Index(fields=["operator", "timestamp"]),
        ]

    def __str__(self) -> str:
        return str(self.event_id)


class Telemetry(models.Model):
    id = AppendOnlyAutoField(primary_key=True)
    telemetry_id = models.UUIDField(_("telemetry_id"), unique=True)
    operator = models.ForeignKey(
        "bikes.Operator", on_delete=models.PROTECT, related_name="mds_telemetry"
    )
    bike = models.ForeignKey(  # covered by the (bike, timestamp) index
        "bikes.Bike", on_delete=models.PROTECT, related_name="telemetry", db_index=False
    )
    timestamp = models.DateTimeField(_("定位时间"))
    lat = models.FloatField()
    lng = models.FloatField()
    accuracy_m = models.FloatField(null=True, blank=True)
    speed = models.FloatField(null=True, blank=True)
    battery_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    trip_ids = WrittenJSONField(null=True, blank=True)
    journey_id = models.UUIDField(null=True, blank=True)
    beacon_ids = WrittenJSONField(default=list, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    payload = WrittenJSONField(default=dict)
    # As `MdsEvent.decision`: the in-spot decision about a parked bike's point. A parked bike
    # reporting every minute would otherwise add a ParkingCheck row, with its four indexes,
    # per point; the decisions that need follow-up stay rows. NULL: not judged, or not in spot.
    decision = WrittenJSONField(_("停放判定"), null=True, blank=True)

    class Meta:
        verbose_name = _("MDS轨迹点")
        verbose_name_plural = _("MDS轨迹点")
        indexes = [
            models.Index(fields=["bike", "timestamp"]),
            # An operator's newest decided points, for the decisions list (which walks the
            # events' (operator, timestamp) index the same way). Partial: a point without a
            # decision (a bike on a trip) costs no index entry; a full index measured +25 %
            # CPU per stored-only batch (its random timestamps dirty random pages).
            models.Index(
                fields=["operator", "timestamp"],
                condition=models.Q(decision__isnull=False),
                name="mds_telemetry_decided_idx",
            ),
        ]

    def __str__(self) -> str:
        return str(self.telemetry_id)


class Trip(models.Model):
    trip_id = models.UUIDField(_("trip_id"), unique=True)
    operator = models.ForeignKey(
        "bikes.Operator", on_delete=models.PROTECT, related_name="mds_trips"
    )
    bike = models.ForeignKey("bikes.Bike", on_delete=models.PROTECT, related_name="trips")
    start_time = models.DateTimeField(_("开始时间"))
    end_time = models.DateTimeField(_("结束时间"))
    duration_s = models.PositiveIntegerField(_("时长（秒）"), null=True, blank=True)
    distance_m = models.PositiveIntegerField(_("距离（米）"), null=True, blank=True)
    start_lat = models.FloatField()
    start_lng = models.FloatField()
    end_lat = models.FloatField()
    end_lng = models.FloatField()
    received_at = models.DateTimeField(default=timezone.now)
    payload = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("MDS行程")
        verbose_name_plural = _("MDS行程")
        indexes = [models.Index(fields=["operator", "end_time"])]

    def __str__(self) -> str:
        return str(self.trip_id)


class Policy(models.Model):
    """A published MDS Policy. Immutable once published; a new one supersedes via prev_policies."""

    policy_id = models.UUIDField(default=uuid.uuid4, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"))
    start_date = models.DateTimeField(_("生效时间"))
    end_date = models.DateTimeField(_("失效时间"), null=True, blank=True)
    published_date = models.DateTimeField(_("发布时间"), default=timezone.now)
    prev_policies = models.JSONField(default=list, blank=True)
    document = models.JSONField(_("MDS Policy 文档"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("MDS停放政策")
        verbose_name_plural = _("MDS停放政策")
        ordering = ["-published_date"]

    def __str__(self) -> str:
        return self.name


class PruneMark(models.Model):
    """How far retention (`nuanxin.mds.retention`) has walked one kind of raw record: every
    row up to `through_id` is deleted, or kept because a decision or a fix cites it."""

    kind = models.CharField(max_length=16, primary_key=True)
    through_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("原始数据清理进度")
        verbose_name_plural = _("原始数据清理进度")

    def __str__(self) -> str:
        return f"{self.kind} ≤ {self.through_id}"


class RequirementsVersion(models.Model):
    """One `file_version` of the published MDS Policy Requirements (`nuanxin.mds.requirements`):
    the part of the document that can change (the providers of the program, the agency's
    name) as it was when this version was first served. A new row, version + 1, only when
    that part changes; rows are never edited."""

    file_version = models.PositiveIntegerField(_("文件版本"), unique=True)
    content = models.JSONField(_("内容"))
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now)

    class Meta:
        verbose_name = _("MDS数据要求版本")
        verbose_name_plural = _("MDS数据要求版本")

    def __str__(self) -> str:
        return f"requirements v{self.file_version}"
