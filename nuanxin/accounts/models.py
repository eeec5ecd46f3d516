from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    BUREAU_ADMIN = "bureau_admin", _("局管理员")
    OFFICER = "officer", _("执法队员")
    REVIEWER = "reviewer", _("法制审核")
    CHIEF = "chief", _("负责人")
    DISPATCHER = "dispatcher", _("指挥中心调度员")
    ANALYST = "analyst", _("指挥中心分析员")
    OPERATOR_ADMIN = "operator_admin", _("运营企业管理员")
    MAINTENANCE = "maintenance", _("运维人员")
    MERCHANT = "merchant", _("商户")
    NONE = "", _("无角色")


class User(AbstractUser):
    role = models.CharField(
        _("角色"), max_length=20, choices=Role.choices, blank=True, db_index=True
    )
    district = models.ForeignKey(
        "orgs.District",
        verbose_name=_("所属中队/辖区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    badge_no = models.CharField(_("执法证号"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username


class ApiToken(models.Model):
    """A machine client's credential. Only a SHA-256 of the secret is stored."""

    class Kind(models.TextChoices):
        OPERATOR = "operator", _("共享单车运营企业")
        INTEGRATION = "integration", _("系统集成")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    operator = models.ForeignKey(
        "bikes.Operator", null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens"
    )
    integration = models.CharField(
        _("集成标识"), max_length=50, blank=True, help_text=_("如 open311")
    )
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API令牌")
        verbose_name_plural = _("API令牌")
        constraints = [
            models.CheckConstraint(
                name="api_token_scoped_to_one_client",
                condition=(
                    models.Q(kind="operator", operator__isnull=False, integration="")
                    | models.Q(kind="integration", operator__isnull=True)
                    & ~models.Q(integration="")
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def hash_secret(raw: str) -> str:
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()
