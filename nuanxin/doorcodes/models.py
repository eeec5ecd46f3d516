from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nuanxin.doorcodes.tokens import token_make


class DoorCode(models.Model):
    """One issued 信息认证码 of a merchant. Reissuing revokes the previous one."""

    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.CASCADE, related_name="door_codes"
    )
    code_id = models.CharField(_("码编号"), max_length=16, unique=True)
    version = models.PositiveIntegerField(_("版本"))
    issued_at = models.DateTimeField(_("签发时间"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoke_reason = models.CharField(_("作废原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("信息认证码")
        verbose_name_plural = _("信息认证码")
        ordering = ["merchant_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant"],
                condition=models.Q(revoked_at__isnull=True),
                name="doorcode_one_active_per_merchant",
            ),
            models.UniqueConstraint(
                fields=["merchant", "version"], name="doorcode_merchant_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code_id} v{self.version}"

    @property
    def token(self) -> str:
        return token_make(code_id=self.code_id, version=self.version)

    @property
    def url(self) -> str:
        return f"{settings.SITE_ROOT}/q/{self.token}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class CounterfeitScan(models.Model):
    """A scan of a forged, altered, revoked or unknown code: a possible counterfeit plate.

    Repeated scans of the same token from the same address within a short window add to
    `hits` instead of adding rows. A citizen may report where the plate hangs; the
    location is then binned into an H3 cell so staff see counts per place.
    """

    class Reason(models.TextChoices):
        MALFORMED = "malformed", _("格式错误")
        BAD_SIGNATURE = "bad_signature", _("签名不符（伪造或篡改）")
        UNKNOWN = "unknown", _("码不存在")
        REVOKED = "revoked", _("已作废")
        MERCHANT_CLOSED = "merchant_closed", _("主体已注销")

    token_text = models.CharField(_("扫描内容"), max_length=300)
    reason = models.CharField(_("原因"), max_length=20, choices=Reason.choices)
    door_code = models.ForeignKey(
        DoorCode, null=True, blank=True, on_delete=models.SET_NULL, related_name="bad_scans"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_seen_at = models.DateTimeField(default=timezone.now)
    hits = models.PositiveIntegerField(default=1)
    lat = models.FloatField(_("举报位置纬度 (WGS-84)"), null=True, blank=True)
    lng = models.FloatField(_("举报位置经度 (WGS-84)"), null=True, blank=True)
    grid_cell = models.CharField(_("网格 (H3)"), max_length=20, blank=True, db_index=True)
    district = models.ForeignKey(
        "orgs.District", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    report_note = models.CharField(_("举报说明"), max_length=300, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("疑似伪造码扫描")
        verbose_name_plural = _("疑似伪造码扫描")
        ordering = ["-last_seen_at"]
        indexes = [models.Index(fields=["token_text", "ip", "last_seen_at"])]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.token_text[:40]}"
