"""Parties, violations, education records, warnings and warm reminder slips."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nuanxin.lib.masking import mask_id_number, mask_name, mask_phone


class Party(models.Model):
    """The party (当事人) of any enforcement: a person (个人) or an organisation (单位).

    One row per real-world party: a merchant or a bike operator has at most one Party,
    a person is identified by their ID number. The ID number is stored in full (the
    documents need it) and shown masked everywhere else (`id_number_masked`).
    """

    class Kind(models.TextChoices):
        PERSON = "person", _("个人")
        ORGANISATION = "organisation", _("单位")

    kind = models.CharField(_("当事人类型"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("姓名/名称"), max_length=120, db_index=True)
    id_number = models.CharField(
        _("身份证号/统一社会信用代码"), max_length=32, blank=True, db_index=True
    )
    phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    address = models.CharField(_("住所/地址"), max_length=200, blank=True)
    legal_representative = models.CharField(_("法定代表人/负责人"), max_length=50, blank=True)
    merchant = models.OneToOneField(
        "merchants.Merchant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party",
        verbose_name=_("市场主体"),
    )
    operator = models.OneToOneField(
        "bikes.Operator",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party",
        verbose_name=_("运营企业"),
    )
    district = models.ForeignKey(
        "orgs.District",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parties",
        verbose_name=_("所属辖区"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "id_number"],
                condition=~models.Q(id_number=""),
                name="party_unique_id_number",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def name_masked(self) -> str:
        """Organisations are public by name; a person's name is masked on public pages."""
        return self.name if self.kind == self.Kind.ORGANISATION else mask_name(self.name)


class Source(models.TextChoices):
    FIELD = "field", _("现场检查")
    CAMERA = "camera", _("视频监控抓拍")
    COMPLAINT = "complaint", _("群众投诉（经核实）")


class Outcome(models.TextChoices):
    EDUCATION = "education", _("首违普法教育")
    WARNING = "warning", _("告诫并责令限期改正")
    PROPOSE_CASE = "propose_case", _("建议立案")


class Violation(models.Model):
    """One recorded violation and the ladder outcome it got (首违普法、二次告诫、建议立案).

    The tag row belongs to one catalogue version, so `tag` pins the law as it stood;
    `catalogue_version` repeats it as text for reports and exports.
    """

    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="violations", verbose_name=_("当事人")
    )
    tag = models.ForeignKey(
        "laws.BehaviourTag", on_delete=models.PROTECT, related_name="+", verbose_name=_("行为")
    )
    tag_code = models.SlugField(_("行为代码"), max_length=60, db_index=True)
    catalogue_version = models.CharField(_("匹配库版本"), max_length=40)
    occurred_at = models.DateTimeField(_("违法时间"), db_index=True)
    place = models.CharField(_("地点"), max_length=200)
    lat = models.FloatField(_("纬度 (WGS-84)"), null=True, blank=True)
    lng = models.FloatField(_("经度 (WGS-84)"), null=True, blank=True)
    district = models.ForeignKey(
        "orgs.District",
        on_delete=models.PROTECT,
        related_name="violations",
        verbose_name=_("辖区"),
    )
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    source_ref = models.CharField(_("来源编号"), max_length=100, blank=True)
    evidence_refs = models.JSONField(_("证据"), default=list, blank=True)
    facts = models.JSONField(_("情节"), default=dict, blank=True)
    prior_count = models.PositiveSmallIntegerField(_("回溯期内既往次数"), default=0)
    lookback_months = models.PositiveSmallIntegerField(_("回溯期（月）"), default=12)
    outcome = models.CharField(_("处理结果"), max_length=16, choices=Outcome.choices)
    reason = models.TextField(_("处理理由（告知当事人）"))
    discretion = models.JSONField(_("裁量建议"), default=dict, blank=True)
    case_ref = models.CharField(
        _("关联案件"), max_length=64, blank=True, help_text=_("建议立案后由案件模块回填")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="violations_recorded",
        verbose_name=_("记录人"),
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("违法行为记录")
        verbose_name_plural = _("违法行为记录")
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["party", "tag_code", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.party} · {self.tag.name} · {self.get_outcome_display()}"

    def get_absolute_url(self) -> str:
        return f"/staff/violations/{self.pk}/"


class Education(models.Model):
    """The education record (普法教育记录) of a first offence; Art. 33 requires it."""

    violation = models.OneToOneField(Violation, on_delete=models.PROTECT, related_name="education")
    content = models.TextField(_("教育内容"))
    educated_at = models.DateTimeField(_("教育时间"), default=timezone.now)
    educated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("普法教育记录")
        verbose_name_plural = _("普法教育记录")

    def __str__(self) -> str:
        return str(self.violation)


class Warning(models.Model):
    """A formal warning (告诫) with its correction deadline (责令限期改正)."""

    class NoticeStatus(models.TextChoices):
        ISSUED = "issued", _("已签发")
        PENDING = "pending", _("待签发")

    violation = models.OneToOneField(Violation, on_delete=models.PROTECT, related_name="warning")
    correction = models.TextField(_("改正内容和要求"))
    deadline = models.DateField(_("改正期限"))
    notice_document = models.ForeignKey(
        "documents.Document",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("责令（限期）改正通知书"),
    )
    notice_status = models.CharField(
        _("通知书状态"), max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.PENDING
    )
    notice_error = models.CharField(_("未签发原因"), max_length=300, blank=True)
    warned_at = models.DateTimeField(_("告诫时间"), default=timezone.now)
    warned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("告诫记录")
        verbose_name_plural = _("告诫记录")

    def __str__(self) -> str:
        return str(self.violation)


class SlipCounter(models.Model):
    """Gap-free slip serials per bureau and year (locked with select_for_update)."""

    bureau = models.ForeignKey("orgs.Bureau", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_serial = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bureau", "year"], name="slip_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.bureau_id}/{self.year}: {self.last_serial}"


class Slip(models.Model):
    """A warm reminder slip (温馨提示单). `content` is the frozen printed text; never edited."""

    violation = models.OneToOneField(Violation, on_delete=models.PROTECT, related_name="slip")
    bureau = models.ForeignKey("orgs.Bureau", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    serial = models.PositiveIntegerField()
    number = models.CharField(_("提示单编号"), max_length=64, unique=True)
    token = models.CharField(_("核验令牌"), max_length=40, unique=True)
    content = models.JSONField(_("打印内容"))
    content_sha256 = models.CharField(_("内容SHA-256"), max_length=64)
    issued_at = models.DateTimeField(_("开具时间"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    revoked_reason = models.CharField(_("作废原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("温馨提示单")
        verbose_name_plural = _("温馨提示单")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(fields=["bureau", "year", "serial"], name="slip_serial_unique")
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None

    @property
    def verify_path(self) -> str:
        return f"/v/slip/{self.token}"
