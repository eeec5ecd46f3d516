from __future__ import annotations

from functools import cached_property

from django.db import models
from django.utils.translation import gettext_lazy as _
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry


class Bureau(models.Model):
    """The enforcement agency (执法机关) that issues documents in its own name."""

    code = models.CharField(_("机关代码"), max_length=32, unique=True)
    name = models.CharField(_("机关名称"), max_length=100)
    short_name = models.CharField(
        _("文书简称"), max_length=20, help_text=_("用于文书编号，如“亳城管”")
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    boundary = models.JSONField(_("城市边界 (GeoJSON, WGS-84)"), null=True, blank=True)

    class Meta:
        verbose_name = _("执法机关")
        verbose_name_plural = _("执法机关")

    def __str__(self) -> str:
        return self.name


class District(models.Model):
    """A district or brigade (中队) with its boundary polygon."""

    class Kind(models.TextChoices):
        DISTRICT = "district", _("区县")
        BRIGADE = "brigade", _("中队")

    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="districts")
    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.DISTRICT)
    boundary = models.JSONField(_("边界 (GeoJSON Polygon/MultiPolygon, WGS-84)"))
    phone = models.CharField(_("值班电话"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("辖区/中队")
        verbose_name_plural = _("辖区/中队")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def geometry(self) -> BaseGeometry:
        return shape(self.boundary)

    def contains(self, *, lat: float, lng: float) -> bool:
        return bool(self.geometry.covers(Point(lng, lat)))
