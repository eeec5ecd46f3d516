from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notice(models.Model):
    """A warm reminder (暖心提醒) to an operator: fix this bike before the deadline.

    The deadline is a durable row: the penalty job claims open notices whose `due_at`
    (deadline + grace for clock skew and late events) has passed.
    """

    class Kind(models.TextChoices):
        VIOLATION = "violation", _("违规停放整改")
        CONFIRM = "confirm", _("停放位置待确认")

    class Status(models.TextChoices):
        OPEN = "open", _("待整改")
        FIXED = "fixed", _("已整改")
        PENALISED = "penalised", _("已处罚")
        CLOSED = "closed", _("已关闭")

    number = models.CharField(_("提醒编号"), max_length=24, unique=True)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    operator = models.ForeignKey("bikes.Operator", on_delete=models.PROTECT, related_name="notices")
    bike = models.ForeignKey("bikes.Bike", on_delete=models.PROTECT, related_name="notices")
    check_ref = models.ForeignKey(
        "compliance.ParkingCheck", on_delete=models.PROTECT, related_name="notices"
    )
    lat = models.FloatField(_("纬度"))
    lng = models.FloatField(_("经度"))
    observed_at = models.DateTimeField(_("发现时间"))
    issued_at = models.DateTimeField(_("发出时间"), default=timezone.now)
    deadline = models.DateTimeField(_("整改期限"))
    due_at = models.DateTimeField(_("处罚判定时间"), db_index=True)
    # Dispatch
    worker = models.ForeignKey(
        "bikes.MaintenanceWorker",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notices",
        verbose_name=_("派单运维人员"),
    )
    route_distance_m = models.FloatField(_("路线距离 (米)"), null=True, blank=True)
    eta_seconds = models.PositiveIntegerField(_("预计到达 (秒)"), null=True, blank=True)
    nav_url = models.URLField(_("导航链接"), max_length=500, blank=True)
    target_spot = models.ForeignKey(
        "bikes.Spot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_distance_m = models.FloatField(_("至空余停放点 (米)"), null=True, blank=True)
    target_nav_url = models.URLField(_("停放点导航链接"), max_length=500, blank=True)
    # Fix
    fix_reported_at = models.DateTimeField(_("运维上报时间"), null=True, blank=True)
    fix_photo = models.ImageField(_("整改照片"), upload_to="notices/%Y/%m/", blank=True)
    fixed_at = models.DateTimeField(_("整改时间（证据时间）"), null=True, blank=True)
    fix_reason = models.CharField(_("整改依据"), max_length=32, blank=True)
    fix_source_id = models.CharField(_("整改证据编号"), max_length=64, blank=True)
    late_fix_at = models.DateTimeField(_("逾期整改时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("暖心提醒")
        verbose_name_plural = _("暖心提醒")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["bike"],
                condition=models.Q(status="open"),
                name="notice_one_open_per_bike",
            )
        ]
        indexes = [
            models.Index(fields=["operator", "status", "issued_at"]),
            # The raw MDS records a fix cites are evidence; retention (mds/retention.py)
            # asks for each chunk of old records whether a notice cites one.
            models.Index(
                fields=["fix_source_id"],
                condition=~models.Q(fix_source_id=""),
                name="notice_fix_source",
            ),
        ]

    # What answered or closed a notice (`fix_reason`), as the operator and staff read it.
    FIX_REASONS = {
        "in_spot": _("车辆已停入停放点"),
        "compliance_pick_up": _("运维人员已挪车"),
        "rebalance_pick_up": _("车辆已调度移走"),
        "trip_start": _("车辆已被骑走"),
        "superseded": _("已转为违规停放整改提醒"),
        "unconfirmed": _("到期未获确认，不予处罚"),
        "confirmed_by_worker": _("运维人员已现场确认"),
    }

    def __str__(self) -> str:
        return self.number

    def fix_reason_label(self) -> str:
        return str(self.FIX_REASONS.get(self.fix_reason, self.fix_reason))

    def counts_as_fixed_at(self, evidence_at: datetime, skew: timedelta) -> bool:
        """Evidence counts when its own timestamp is no later than deadline + skew tolerance."""
        return evidence_at <= self.deadline + skew

    @property
    def response_seconds(self) -> float | None:
        if self.fixed_at is None:
            return None
        return max(0.0, (self.fixed_at - self.observed_at).total_seconds())


class PenaltyDecision(models.Model):
    """The electronic penalty decision for one expired notice: exactly one per notice.

    Two stages. At the deadline the decision is *issued*: decided, numbered (its 罚决字
    number is reserved from the bureau's series in the same transaction), recorded and
    visible to the operator (`document_pending`). Then the document stage renders, seals
    and serves the PDF under that number (`issued` = sealed and served).
    """

    class Status(models.TextChoices):
        ISSUED = "issued", _("已签发并送达")
        DOCUMENT_PENDING = "document_pending", _("待生成文书")

    notice = models.OneToOneField(Notice, on_delete=models.PROTECT, related_name="penalty")
    operator = models.ForeignKey(
        "bikes.Operator", on_delete=models.PROTECT, related_name="penalty_decisions"
    )
    number = models.CharField(_("决定书编号"), max_length=40, unique=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices)
    amount = models.DecimalField(_("罚款金额（元）"), max_digits=12, decimal_places=2, null=True)
    document_id = models.BigIntegerField(_("文书"), null=True, blank=True)
    document_number = models.CharField(_("文书编号"), max_length=64, blank=True)
    delivery_id = models.BigIntegerField(_("送达记录"), null=True, blank=True)
    issued_at = models.DateTimeField(_("签发时间"), default=timezone.now)
    issued_by = models.CharField(_("签发进程"), max_length=64, blank=True)
    note = models.TextField(_("说明"), blank=True)
    # The number reserved for the document (bureau, year, serial of the 罚决字 series);
    # empty only when no bureau was configured at the deadline.
    bureau = models.ForeignKey(
        "orgs.Bureau",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("执法机关"),
    )
    number_year = models.PositiveSmallIntegerField(_("文号年度"), null=True)
    number_serial = models.PositiveIntegerField(_("文号序号"), null=True)
    # Document stage: a worker's lease while it renders and seals, or the next retry.
    document_not_before = models.DateTimeField(_("文书下次处理时间"), null=True, blank=True)
    document_attempts = models.PositiveSmallIntegerField(_("文书尝试次数"), default=0)
    sealed_at = models.DateTimeField(_("盖章送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("电子处罚决定")
        verbose_name_plural = _("电子处罚决定")
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["status", "document_not_before"])]

    def __str__(self) -> str:
        return self.number


class WebhookDelivery(models.Model):
    """One signed webhook to an operator, durable, retried with exponential backoff."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("发送失败（已放弃）")

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="webhooks")
    operator = models.ForeignKey("bikes.Operator", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(_("事件"), max_length=32)
    payload = models.JSONField(_("内容"))
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now, db_index=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("回调推送")
        verbose_name_plural = _("回调推送")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk} ({self.status})"


class WebhookAttempt(models.Model):
    """The delivery log: every HTTP attempt with its outcome."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(default=timezone.now)
    url = models.URLField(max_length=500)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.at:%H:%M:%S} {self.status_code or self.error[:30]}"


class PendingNotice(models.Model):
    """A flagged decision (outside / uncertain) waiting for the notice job: ingest queues
    it in the batch's transaction; `notices_open_queued` leases it, plans dispatch, then
    deletes it in the transaction that opens the notice (if the decision is still the
    bike's latest state). Keeps dispatch planning, audit and webhooks out of ingest's
    write lock."""

    decision = models.OneToOneField(
        "compliance.ParkingCheck", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    queued_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)  # a job's lease

    class Meta:
        verbose_name = _("待发提醒")
        verbose_name_plural = _("待发提醒")

    def __str__(self) -> str:
        return f"check {self.decision_id}"
