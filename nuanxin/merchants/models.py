from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Merchant(models.Model):
    """A market entity (市场主体): 个体工商户 or enterprise, with its shop front."""

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("个体工商户")
        ENTERPRISE = "enterprise", _("企业")

    class Status(models.TextChoices):
        ACTIVE = "active", _("在营")
        SUSPENDED = "suspended", _("停业")
        CLOSED = "closed", _("注销")

    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("名称"), max_length=120, db_index=True)
    kind = models.CharField(_("主体类型"), max_length=16, choices=Kind.choices)
    category = models.CharField(_("经营类别"), max_length=40, blank=True, db_index=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    district = models.ForeignKey(
        "orgs.District", on_delete=models.PROTECT, related_name="merchants"
    )
    street = models.CharField(_("街道"), max_length=60, blank=True, db_index=True)
    address = models.CharField(_("经营地址"), max_length=200)
    lat = models.FloatField(_("纬度 (WGS-84)"))
    lng = models.FloatField(_("经度 (WGS-84)"))
    contact_name = models.CharField(_("负责人"), max_length=50)
    contact_phone = models.CharField(_("负责人电话"), max_length=20)
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="merchants", verbose_name=_("门户账号")
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("市场主体")
        verbose_name_plural = _("市场主体")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Licence(models.Model):
    class Kind(models.TextChoices):
        BUSINESS = "business", _("营业执照")
        FOOD = "food", _("食品经营许可证")
        SIGNBOARD = "signboard", _("门头招牌设置许可")
        OUTDOOR_AD = "outdoor_ad", _("户外广告设置许可")
        SANITATION = "sanitation", _("城市建筑垃圾处置核准")
        OTHER = "other", _("其他")

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="licences")
    kind = models.CharField(_("证照类型"), max_length=16, choices=Kind.choices)
    number = models.CharField(_("证号"), max_length=64)
    issuer = models.CharField(_("发证机关"), max_length=100, blank=True)
    valid_from = models.DateField(_("有效期自"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True, help_text=_("空表示长期"))

    class Meta:
        verbose_name = _("证照")
        verbose_name_plural = _("证照")
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="licence_kind_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def is_valid_on(self, day: object) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)  # type: ignore[operator]


class Inspection(models.Model):
    """An officer's on-site inspection (日常检查) of a shop, feeding the credit record."""

    class Result(models.TextChoices):
        PASS = "pass", _("合格")
        RECTIFY = "rectify", _("责令整改")
        FAIL = "fail", _("不合格")

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="inspections")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="inspections"
    )
    at = models.DateTimeField(_("检查时间"), db_index=True)
    result = models.CharField(_("检查结果"), max_length=16, choices=Result.choices)
    notes = models.TextField(_("检查记录"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("检查记录")
        verbose_name_plural = _("检查记录")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.merchant} {self.get_result_display()} {self.at:%Y-%m-%d}"

    @property
    def credit_label(self) -> str:
        return f"JC{self.pk:06d}"
