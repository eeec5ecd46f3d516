"""Forms only check shape; the services apply the domain rules (USCC, location, duplicates)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from nuanxin.merchants.models import Licence, Merchant


class MerchantForm(forms.Form):
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=24)
    name = forms.CharField(label=_("名称"), max_length=120)
    kind = forms.ChoiceField(label=_("主体类型"), choices=Merchant.Kind.choices)
    category = forms.CharField(label=_("经营类别"), max_length=40, required=False)
    street = forms.CharField(label=_("街道"), max_length=60, required=False)
    address = forms.CharField(label=_("经营地址"), max_length=200)
    lat = forms.FloatField(label=_("纬度 (WGS-84)"))
    lng = forms.FloatField(label=_("经度 (WGS-84)"))
    contact_name = forms.CharField(label=_("负责人"), max_length=50)
    contact_phone = forms.CharField(label=_("负责人电话"), max_length=20)
    status = forms.ChoiceField(label=_("状态"), choices=Merchant.Status.choices)


class LicenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("证照类型"), choices=Licence.Kind.choices)
    number = forms.CharField(label=_("证号"), max_length=64)
    issuer = forms.CharField(label=_("发证机关"), max_length=100, required=False)
    valid_from = forms.DateField(
        label=_("有效期自"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("有效期至"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("空表示长期"),
    )
