from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from nuanxin.core.fields import WrittenJSONField
from nuanxin.lib.uscc import USCCError, uscc_validate


def validate_operator_uscc(value: str) -> None:
    """Model-level check (admin, full_clean): GB 32100-2015 incl. both check characters."""
    if not value:
        return
    try:
        uscc_validate(value)
    except USCCError as exc:
        raise ValidationError(str(exc), code=exc.reason) from None


WEBHOOK_SECRET_MIN_LENGTH = 24


def webhook_https_required() -> bool:
    """Webhook URLs must be https except in development (DEBUG) and the demo, the
    environments where the site itself is served over plain HTTP (SECURE_SSL_REDIRECT off)."""
    return not (settings.DEBUG or getattr(settings, "DEMO_MODE", False))


class Operator(models.Model):
    """A shared-bike operator (运营企业). The bikes work extends this app."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("正常运营")
        SUSPENDED = "suspended", _("暂停投放")
        EXITED = "exited", _("已退出")

    provider_id = models.UUIDField(_("MDS provider_id"), default=uuid.uuid4, unique=True)
    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    # The legal identity a penalty decision names (当事人): GB 32100 code, seat, representative.
    uscc = models.CharField(
        _("统一社会信用代码"), max_length=18, blank=True, validators=[validate_operator_uscc]
    )
    address = models.CharField(_("住所"), max_length=200, blank=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    quota = models.PositiveIntegerField(_("投放配额（辆）"), default=0)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    webhook_url = models.URLField(
        _("通知回调地址"),
        blank=True,
        help_text=_("暖心提醒推送的接收地址；正式环境须为 https。填写地址时须同时设置签名密钥。"),
    )
    webhook_secret = models.CharField(
        _("回调签名密钥"),
        max_length=64,
        blank=True,
        help_text=_(
            "推送签名用的 HMAC-SHA256 密钥，至少 24 个字符；"
            "企业管理员可在企业门户的“推送设置”中生成和轮换。"
        ),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="operators", verbose_name=_("企业账号")
    )
    plate_letter = models.CharField(
        _("车牌企业字母"),
        max_length=1,
        blank=True,
        help_text=_("车牌中标识运营企业的大写字母，见 data/bikes/policy.json"),
    )
    unregistered_event_count = models.PositiveIntegerField(
        _("未登记车辆上报次数"),
        default=0,
        help_text=_("因车辆未登记而被拒绝的事件/轨迹条数，供企业信用评分使用"),
    )

    class Meta:
        verbose_name = _("运营企业")
        verbose_name_plural = _("运营企业")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def can_deploy(self) -> bool:
        return self.status == self.Status.ACTIVE

    def clean(self) -> None:
        """A webhook URL needs a secret: a webhook signed with an empty key can be forged
        by anyone. Outside development and the demo (where the site itself may run over
        plain HTTP: settings SECURE_SSL_REDIRECT) the URL must be https."""
        super().clean()
        errors: dict[str, list[str | Promise]] = {}
        secret = self.webhook_secret
        if secret and len(secret) < WEBHOOK_SECRET_MIN_LENGTH:
            errors.setdefault("webhook_secret", []).append(
                _("签名密钥至少需要 %(n)d 个字符。") % {"n": WEBHOOK_SECRET_MIN_LENGTH}
            )
        if self.webhook_url and not secret:
            errors.setdefault("webhook_url", []).append(
                _("填写回调地址前须设置签名密钥：没有密钥的签名任何人都能伪造。")
            )
        plain = not self.webhook_url.lower().startswith("https://")
        if self.webhook_url and plain and webhook_https_required():
            errors.setdefault("webhook_url", []).append(_("回调地址须以 https:// 开头。"))
        if errors:
            raise ValidationError(errors)

    def webhook_secret_hint(self) -> str:
        """The secret as the portal shows it after the one time it is shown in full."""
        if not self.webhook_secret:
            return ""
        return "•" * 8 + self.webhook_secret[-4:]


class MaintenanceWorker(models.Model):
    """A member of an operator's maintenance crew (运维人员), dispatched to badly parked bikes."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="maintenance_worker",
        verbose_name=_("登录账号"),
    )
    operator = models.ForeignKey(
        Operator, on_delete=models.CASCADE, related_name="workers", verbose_name=_("运营企业")
    )
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    on_duty = models.BooleanField(_("在岗"), default=False, db_index=True)
    last_lat = models.FloatField(_("最近位置纬度"), null=True, blank=True)
    last_lng = models.FloatField(_("最近位置经度"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("最近定位时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("运维人员")
        verbose_name_plural = _("运维人员")
        ordering = ["operator", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.operator})"


class VehicleType(models.TextChoices):
    BICYCLE = "bicycle", _("自行车")
    CARGO_BICYCLE = "cargo_bicycle", _("载货自行车")
    SCOOTER_STANDING = "scooter_standing", _("站立式滑板车")
    SCOOTER_SEATED = "scooter_seated", _("座式滑板车")
    MOPED = "moped", _("电动助力车")
    OTHER = "other", _("其他")


class Bike(models.Model):
    """One registered bike: one plate (一车一牌), one MDS device_id, its latest known state."""

    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, related_name="bikes", verbose_name=_("运营企业")
    )
    plate = models.CharField(_("车牌号"), max_length=16, unique=True)
    device_id = models.UUIDField(_("MDS device_id"), unique=True)
    vehicle_type = models.CharField(
        _("车辆类型"), max_length=24, choices=VehicleType.choices, default=VehicleType.BICYCLE
    )
    propulsion_types = models.JSONField(_("动力类型"), default=list)
    battery_capacity = models.PositiveIntegerField(_("电池容量 (Wh)"), null=True, blank=True)
    maximum_speed = models.PositiveIntegerField(_("最高速度 (km/h)"), null=True, blank=True)
    registered_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    # Latest known state, kept by timestamp (out-of-order events never roll it back).
    # Changes with nearly every event, so no index holds it: an index on (operator, state)
    # cost ingest a third of each state UPDATE, for reads that count one fleet at a time.
    vehicle_state = models.CharField(_("车辆状态"), max_length=20, blank=True)
    last_event_types = WrittenJSONField(_("最近事件类型"), default=list, blank=True)
    state_at = models.DateTimeField(_("状态时间"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    accuracy_m = models.FloatField(_("定位精度 (米)"), null=True, blank=True)
    position_at = models.DateTimeField(_("定位时间"), null=True, blank=True)
    battery_percent = models.PositiveSmallIntegerField(_("电量 (%)"), null=True, blank=True)

    class Meta:
        verbose_name = _("车辆")
        verbose_name_plural = _("车辆")
        ordering = ["plate"]

    def __str__(self) -> str:
        return self.plate


class UnregisteredSighting(models.Model):
    """An operator reported data for a device_id it never registered (未登记车辆)."""

    operator = models.ForeignKey(
        Operator, on_delete=models.CASCADE, related_name="unregistered_sightings"
    )
    device_id = models.UUIDField(_("MDS device_id"))
    first_seen_at = models.DateTimeField(_("首次发现"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("最近发现"), default=timezone.now)
    count = models.PositiveIntegerField(_("被拒条数"), default=0)

    class Meta:
        verbose_name = _("未登记车辆记录")
        verbose_name_plural = _("未登记车辆记录")
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "device_id"], name="unregistered_sighting_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operator_id}:{self.device_id}"


class UnregisteredReport(models.Model):
    """One item (event, telemetry point, trip) refused because its device was never
    registered, kept by its id: MDS ingest is idempotent on those ids, so a retried item
    must not be counted again (`bikes.services.unregistered_record`). Pruned after
    `UNREGISTERED_REPORT_KEEP_DAYS` (job `bikes.unregistered_reports_prune`)."""

    operator = models.ForeignKey(
        Operator,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique constraint's index leads with it
    )
    source_id = models.UUIDField(_("event_id / telemetry_id / trip_id"))
    device_id = models.UUIDField(_("MDS device_id"))
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("未登记车辆上报")
        verbose_name_plural = _("未登记车辆上报")
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "source_id"], name="unregistered_report_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operator_id}:{self.source_id}"


class SpotCategory(models.TextChoices):
    RESIDENTIAL = "residential", _("小区")
    HOSPITAL = "hospital", _("医院")
    SCHOOL = "school", _("学校")
    SHOPPING = "shopping", _("商超")
    INSTITUTION = "institution", _("企事业")
    ROAD = "road", _("道路")


class Spot(models.Model):
    """A parking spot (停放点/电子围栏). Its shape and rules live in versions."""

    code = models.CharField(_("编号"), max_length=32, unique=True)
    district = models.ForeignKey(
        "orgs.District",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bike_spots",
        verbose_name=_("所属辖区"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("停放点")
        verbose_name_plural = _("停放点")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class SpotVersion(models.Model):
    """One immutable version of a spot, in force over [effective_from, effective_to).

    Each change is a new version; the previous one is closed by setting its effective_to.
    A decision records the version it was judged against, so it can be replayed.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("启用")
        SUSPENDED = "suspended", _("暂停使用")
        RETIRED = "retired", _("撤销")

    spot = models.ForeignKey(Spot, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("版本号"))
    geography_id = models.UUIDField(_("MDS geography_id"), default=uuid.uuid4, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("位置描述"), max_length=200, blank=True)
    polygon = models.JSONField(_("范围 (GeoJSON Polygon, WGS-84)"))
    capacity = models.PositiveIntegerField(_("容量（辆）"))
    category = models.CharField(_("类别"), max_length=16, choices=SpotCategory.choices)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    beacon_ids = models.JSONField(_("蓝牙道钉编号"), default=list, blank=True)
    center_lat = models.FloatField(_("中心纬度"))
    center_lng = models.FloatField(_("中心经度"))
    min_lng = models.FloatField()
    min_lat = models.FloatField()
    max_lng = models.FloatField()
    max_lat = models.FloatField()
    effective_from = models.DateTimeField(_("生效时间"), db_index=True)
    effective_to = models.DateTimeField(_("失效时间"), null=True, blank=True, db_index=True)
    # Indexed for `compliance.index.spots_stamp`, which every ingest batch asks (MAX of it).
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    change_note = models.CharField(_("变更说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("停放点版本")
        verbose_name_plural = _("停放点版本")
        ordering = ["spot", "version"]
        constraints = [
            models.UniqueConstraint(fields=["spot", "version"], name="spot_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.spot.code} v{self.version}"

    def in_force_at(self, at: datetime) -> bool:
        return self.effective_from <= at and (self.effective_to is None or at < self.effective_to)
