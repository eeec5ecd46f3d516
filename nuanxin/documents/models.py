from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DocType(models.TextChoices):
    FILING_APPROVAL = "filing_approval", _("立案审批表")
    CORRECTION_NOTICE = "correction_notice", _("责令（限期）改正通知书")
    PRIOR_NOTICE = "prior_notice", _("行政处罚事先告知书")
    PENALTY_DECISION = "penalty_decision", _("行政处罚决定书")
    ONSPOT_DECISION = "onspot_decision", _("当场行政处罚决定书")
    SERVICE_RECEIPT = "service_receipt", _("送达回证")
    SERVICE_ADDRESS_CONFIRMATION = "service_address_confirmation", _("送达地址确认书")
    CLOSING_APPROVAL = "closing_approval", _("结案审批表")


class DocumentCounter(models.Model):
    """The last serial issued per agency, year and document type.

    Allocation locks this row (select_for_update) inside the issuing transaction, so a
    rolled-back issue gives its number back and two officers never get the same one.
    """

    bureau = models.ForeignKey("orgs.Bureau", on_delete=models.PROTECT, related_name="+")
    doc_type = models.CharField(_("文书类型"), max_length=40)
    year = models.PositiveIntegerField(_("年度"))
    last_serial = models.PositiveIntegerField(_("已用最大序号"), default=0)

    class Meta:
        verbose_name = _("文书编号计数器")
        verbose_name_plural = _("文书编号计数器")
        constraints = [
            models.UniqueConstraint(
                fields=["bureau", "doc_type", "year"], name="document_counter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bureau_id}/{self.doc_type}/{self.year}: {self.last_serial}"


class VerificationRecord(models.Model):
    """A public authenticity record behind a QR code: /v/<token>.

    Holds only what the public page shows (number, date, agency, hash, title): no
    personal data. Any app (slips, notices, documents) registers one.
    """

    token = models.CharField(max_length=40, unique=True)
    kind = models.CharField(_("类别"), max_length=40, db_index=True)
    number = models.CharField(_("编号"), max_length=80, db_index=True)
    title = models.CharField(_("名称"), max_length=100)
    issued_at = models.DateTimeField(_("签发时间"))
    agency_name = models.CharField(_("签发机关"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    subject_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_id = models.CharField(max_length=64, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("公开核验记录")
        verbose_name_plural = _("公开核验记录")
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{self.title} {self.number}"

    @property
    def path(self) -> str:
        return reverse("documents:verify", args=[self.token])

    @property
    def url(self) -> str:
        return settings.SITE_ROOT + self.path


class Document(models.Model):
    """An issued, numbered, signed enforcement document (文书). Never edited after issue."""

    bureau = models.ForeignKey("orgs.Bureau", on_delete=models.PROTECT, related_name="+")
    doc_type = models.CharField(_("文书类型"), max_length=40, choices=DocType.choices)
    title = models.CharField(_("文书名称"), max_length=100)
    number = models.CharField(_("文号"), max_length=80, unique=True)
    year = models.PositiveIntegerField(_("年度"))
    serial = models.PositiveIntegerField(_("序号"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    pdf = models.FileField(_("PDF文件"), max_length=200)
    size = models.PositiveIntegerField(_("文件大小"), default=0)
    template_version = models.CharField(_("模板版本"), max_length=40)
    template_sha256 = models.CharField(_("模板文件SHA-256"), max_length=64)
    issued_at = models.DateTimeField(_("签发时间"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signers = models.JSONField(_("签名人"), default=list)
    sealed = models.BooleanField(_("已加盖电子印章"), default=False)
    timestamped = models.BooleanField(_("含可信时间戳"), default=False)
    evidence = models.JSONField(_("证据清单"), default=list)
    party_name = models.CharField(_("当事人"), max_length=200, blank=True)
    subject_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_id = models.CharField(max_length=64, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    verification = models.OneToOneField(
        VerificationRecord, on_delete=models.PROTECT, related_name="document"
    )

    class Meta:
        verbose_name = _("执法文书")
        verbose_name_plural = _("执法文书")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bureau", "doc_type", "year", "serial"], name="document_serial_unique"
            )
        ]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{self.title} {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("documents:detail", args=[self.pk])

    @property
    def verify_url(self) -> str:
        return self.verification.url
