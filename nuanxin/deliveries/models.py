"""Service of documents (送达): the party's consent, each delivery and each channel attempt."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    PORTAL = "portal", _("门户/系统收件箱")
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")
    PAPER = "paper", _("纸质送达（送达回证）")


ELECTRONIC = (Channel.PORTAL, Channel.EMAIL, Channel.SMS)


class PartyFields(models.Model):
    """Who the party is: the violations.Party, and its merchant or operator for inbox lookups."""

    party = models.ForeignKey(
        "violations.Party", null=True, on_delete=models.PROTECT, related_name="+"
    )
    merchant = models.ForeignKey(
        "merchants.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    operator = models.ForeignKey(
        "bikes.Operator", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    party_name = models.CharField(_("受送达人"), max_length=120)

    class Meta:
        abstract = True


class DeliveryConsent(PartyFields):
    """A signed 送达地址确认书: the channels and addresses the party agreed to (Art. 61)."""

    channels = models.JSONField(_("同意的电子送达方式"), default=list)
    phone = models.CharField(_("手机号码"), max_length=20, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    postal_address = models.CharField(_("送达地址"), max_length=200, blank=True)
    document_id = models.PositiveBigIntegerField(_("确认书"), null=True, blank=True)
    document_number = models.CharField(max_length=60, blank=True)
    signed_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("送达地址确认书")
        verbose_name_plural = _("送达地址确认书")
        ordering = ["-signed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.party_name} {','.join(self.channels)}"


class Delivery(PartyFields):
    """One document served on one party; attempts go out on each consented channel."""

    class Status(models.TextChoices):
        SENT = "sent", _("已发送")
        DELIVERED = "delivered", _("已送达")
        OPENED = "opened", _("已查阅")
        ACKNOWLEDGED = "acknowledged", _("已签收")
        PAPER_PENDING = "paper_pending", _("待纸质送达")
        FAILED = "failed", _("送达失败")

    document_id = models.PositiveBigIntegerField(_("文书ID"), db_index=True)
    document_number = models.CharField(_("文书编号"), max_length=60, blank=True)
    document_title = models.CharField(_("文书名称"), max_length=60, blank=True)
    doc_type = models.CharField(max_length=40, blank=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    consent = models.ForeignKey(
        DeliveryConsent, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    status = models.CharField(max_length=16, choices=Status.choices, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    served_at = models.DateTimeField(_("法定送达时间"), null=True, blank=True)
    served_rule = models.CharField(_("送达日期依据"), max_length=200, blank=True)
    receipt_document_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("送达记录")
        verbose_name_plural = _("送达记录")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.document_number} → {self.party_name}"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    address = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    provider_ref = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "channel"], name="delivery_attempt_once")
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id}:{self.channel}"


class DeliveryEvent(models.Model):
    """The delivery log: sent, delivered, opened, acknowledged, failed, paper receipt."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20)
    channel = models.CharField(max_length=10, blank=True)
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id}:{self.kind}"


class SmsOutbox(models.Model):
    """SMS waiting for (or logged without) a gateway; settings-free dev mode keeps them here."""

    phone = models.CharField(max_length=20)
    text = models.TextField()
    attempt = models.ForeignKey(
        DeliveryAttempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="sms"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    gateway_response = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.phone}: {self.text[:20]}"
