from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Rating(models.Model):
    """A citizen's 1–5 star rating of a merchant, taken from the door-code page."""

    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.CASCADE, related_name="ratings"
    )
    door_code = models.ForeignKey(
        "doorcodes.DoorCode", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stars = models.PositiveSmallIntegerField(_("星级"))
    tags = models.JSONField(_("标签"), default=list, blank=True)
    text = models.CharField(_("评价内容"), max_length=500, blank=True)
    device_key = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(null=True, blank=True)
    day = models.DateField(_("日期 (北京时间)"))
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    hidden = models.BooleanField(_("已屏蔽"), default=False)

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "device_key", "day"], name="rating_one_per_device_per_day"
            ),
            models.CheckConstraint(
                name="rating_stars_1_to_5", condition=models.Q(stars__gte=1, stars__lte=5)
            ),
        ]
        indexes = [models.Index(fields=["ip", "created_at"])]

    def __str__(self) -> str:
        return f"{self.merchant_id} {'★' * self.stars}"


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("已受理")
    ASSIGNED = "assigned", _("已分派")
    MERCHANT_NOTIFIED = "merchant_notified", _("已通知商户")
    MERCHANT_REPLIED = "merchant_replied", _("商户已答复")
    OFFICER_HANDLING = "officer_handling", _("执法队员处理中")
    AWAITING_FEEDBACK = "awaiting_feedback", _("待评价")
    CLOSED = "closed", _("已办结")


S = ComplaintStatus

# The coordination workflow: from each state, the states it may move to.
COMPLAINT_TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.ASSIGNED, S.CLOSED}),
    S.ASSIGNED: frozenset({S.MERCHANT_NOTIFIED, S.OFFICER_HANDLING, S.ASSIGNED, S.CLOSED}),
    S.MERCHANT_NOTIFIED: frozenset({S.MERCHANT_REPLIED, S.OFFICER_HANDLING}),
    S.MERCHANT_REPLIED: frozenset({S.AWAITING_FEEDBACK, S.OFFICER_HANDLING}),
    S.OFFICER_HANDLING: frozenset({S.AWAITING_FEEDBACK}),
    S.AWAITING_FEEDBACK: frozenset({S.CLOSED, S.OFFICER_HANDLING}),
    S.CLOSED: frozenset({S.OFFICER_HANDLING}),  # "not satisfied" after an automatic close
}


class Complaint(models.Model):
    class Source(models.TextChoices):
        SCAN = "scan", _("扫码投诉")
        OPEN311 = "open311", _("Open311 接口")
        STAFF = "staff", _("工作人员登记")
        HOTLINE_12345 = "hotline_12345", _("12345政务服务热线")
        HOTLINE_12319 = "hotline_12319", _("12319城建服务热线")
        WALK_IN = "walk_in", _("来访")

    # How a complaint reached staff who entered it by hand (complaint_register).
    STAFF_CHANNELS = ("hotline_12345", "hotline_12319", "walk_in", "staff")

    class Feedback(models.TextChoices):
        NONE = "", _("未评价")
        SATISFIED = "satisfied", _("满意")
        UNSATISFIED = "unsatisfied", _("不满意")

    tracking_no = models.CharField(_("受理编号"), max_length=24, unique=True)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    merchant = models.ForeignKey(
        "merchants.Merchant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    door_code = models.ForeignKey(
        "doorcodes.DoorCode", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.CharField(_("类别"), max_length=40, db_index=True)
    description = models.TextField(_("问题描述"), max_length=2000)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lat = models.FloatField(_("纬度 (WGS-84)"), null=True, blank=True)
    lng = models.FloatField(_("经度 (WGS-84)"), null=True, blank=True)
    district = models.ForeignKey(
        "orgs.District", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    phone = models.CharField(_("回访电话"), max_length=20, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=24,
        choices=ComplaintStatus.choices,
        default=ComplaintStatus.RECEIVED,
        db_index=True,
    )
    stage_entered_at = models.DateTimeField(default=timezone.now)
    stage_deadline = models.DateTimeField(_("本阶段时限"), null=True, blank=True, db_index=True)
    overdue = models.BooleanField(_("已超时"), default=False, db_index=True)
    overdue_flagged_at = models.DateTimeField(null=True, blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handled_complaints",
    )
    merchant_reply = models.TextField(_("商户答复"), blank=True)
    merchant_replied_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(_("处理结果"), blank=True)
    substantiated = models.BooleanField(_("投诉属实"), null=True, blank=True)
    feedback = models.CharField(
        _("投诉人评价"), max_length=16, choices=Feedback.choices, blank=True, default=""
    )
    feedback_note = models.CharField(_("评价说明"), max_length=500, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    external_id = models.CharField(_("外部编号"), max_length=64, blank=True)
    media_url = models.URLField(_("外部图片链接"), max_length=500, blank=True)
    submitted_ip = models.GenericIPAddressField(null=True, blank=True)
    device_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("投诉")
        verbose_name_plural = _("投诉")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["district", "status"])]

    def __str__(self) -> str:
        return self.tracking_no

    def can_transition_to(self, status: str) -> bool:
        return status in COMPLAINT_TRANSITIONS.get(self.status, frozenset())

    @property
    def is_open(self) -> bool:
        return self.status != ComplaintStatus.CLOSED


class ComplaintPhoto(models.Model):
    """A photo the complainant sent: the untouched original (evidence, staff only) and an
    EXIF-free, re-encoded derivative for display."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="photos")
    original = models.FileField(upload_to="feedback/originals/%Y/%m/", max_length=200)
    original_sha256 = models.CharField(max_length=64)
    original_type = models.CharField(max_length=40)
    original_size = models.PositiveIntegerField()
    display = models.FileField(upload_to="feedback/display/%Y/%m/", max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("投诉照片")
        verbose_name_plural = _("投诉照片")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.complaint_id}#{self.pk}"


class ComplaintEvent(models.Model):
    """One step in a complaint's history, shown to staff (and, when public, to the complainant)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=60, blank=True)
    kind = models.CharField(max_length=30)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    note = models.TextField(blank=True)
    public = models.BooleanField(default=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind}"


class RateLimitHit(models.Model):
    """A counter row per (bucket, key, hour): shared by every web worker, unlike a
    per-process cache."""

    bucket = models.CharField(max_length=30)
    key = models.CharField(max_length=80)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bucket", "key", "window_start"], name="ratelimit_bucket_key_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bucket}:{self.key} {self.count}"
