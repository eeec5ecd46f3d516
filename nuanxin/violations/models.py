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
