from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Operator(models.Model):
    """A shared-bike operator (运营企业). The bikes work extends this app."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("正常运营")
        SUSPENDED = "suspended", _("暂停投放")
        EXITED = "exited", _("已退出")

    provider_id = models.UUIDField(_("MDS provider_id"), default=uuid.uuid4, unique=True)
    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    quota = models.PositiveIntegerField(_("投放配额（辆）"), default=0)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    webhook_url = models.URLField(_("通知回调地址"), blank=True)
    webhook_secret = models.CharField(_("回调签名密钥"), max_length=64, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="operators", verbose_name=_("企业账号")
    )

    class Meta:
        verbose_name = _("运营企业")
        verbose_name_plural = _("运营企业")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name
