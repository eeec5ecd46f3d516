from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from nuanxin.core.errors import Conflict


class EvidenceKind(models.TextChoices):
    PHOTO = "photo", _l("照片")
    VIDEO = "video", _l("视频")
    AUDIO = "audio", _l("录音")
    DOCUMENT = "document", _l("书证（PDF）")


class EvidenceItem(models.Model):
    """One captured file (电子数据/视听资料), stored content-addressed by its SHA-256.

    The hash is taken at upload. Once the item is linked to a case or any other subject
    it is immutable: services refuse to change or delete it (see `ensure_mutable`).
    """

    sha256 = models.CharField(_l("SHA-256"), max_length=64, db_index=True)
    kind = models.CharField(_l("类型"), max_length=10, choices=EvidenceKind.choices)
    file = models.FileField(_l("文件"), max_length=200)
    size = models.PositiveBigIntegerField(_l("大小（字节）"))
    mime_type = models.CharField(_l("格式"), max_length=60)
    original_name = models.CharField(_l("原文件名"), max_length=200, blank=True)
    captured_at = models.DateTimeField(_l("拍摄/录制时间"))
    lat = models.FloatField(_l("纬度 (WGS-84)"), null=True, blank=True)
    lng = models.FloatField(_l("经度 (WGS-84)"), null=True, blank=True)
    gps_accuracy_m = models.FloatField(_l("定位精度（米）"), null=True, blank=True)
    device_id = models.CharField(_l("采集设备"), max_length=100)
    district = models.ForeignKey(
        "orgs.District", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_l("说明"), max_length=500, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_l("上传时间"), default=timezone.now)
    linked_at = models.DateTimeField(_l("首次关联时间"), null=True, blank=True)

    class Meta:
        verbose_name = _l("电子证据")
        verbose_name_plural = _l("电子证据")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.sha256[:12]}"

    @property
    def is_locked(self) -> bool:
        return self.linked_at is not None

    def ensure_mutable(self) -> None:
        if self.is_locked:
            raise Conflict(
                "evidence_locked",
                _("该证据已关联案件，不可修改或删除（证据固定后保持原样）。"),
            )


class EvidenceLink(models.Model):
    """Evidence attached to a subject (a case, a violation, a notice…)."""

    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="links")
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.CharField(max_length=64)
    subject = GenericForeignKey("subject_type", "subject_id")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _l("证据关联")
        verbose_name_plural = _l("证据关联")
        constraints = [
            models.UniqueConstraint(
                fields=["item", "subject_type", "subject_id"], name="evidence_link_unique"
            )
        ]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{self.item_id} → {self.subject_type_id}:{self.subject_id}"


class CustodyAction(models.TextChoices):
    UPLOADED = "uploaded", _l("上传")
    LINKED = "linked", _l("关联")
    VIEWED = "viewed", _l("查看")
    EXPORTED = "exported", _l("导出")
    VERIFIED = "verified", _l("核验一致")
    VERIFY_FAILED = "verify_failed", _l("核验不一致")


class CustodyEvent(models.Model):
    """Chain of custody: who did what with an evidence file, and when. Append-only."""

    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="custody")
    action = models.CharField(_l("动作"), max_length=20, choices=CustodyAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    detail = models.JSONField(default=dict, blank=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _l("证据保管记录")
        verbose_name_plural = _l("证据保管记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.item_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
