"""The officer's recording form (validation only; the service decides)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nuanxin.violations.models import Party, Source

HARM_CHOICES = [
    ("none", _("无危害后果")),
    ("minor", _("危害后果轻微")),
    ("serious", _("危害后果严重")),
]


class ViolationForm(forms.Form):
    tag_code = forms.CharField(label=_("行为"), max_length=60)
    party_ref = forms.CharField(
        label=_("当事人"), max_length=40, help_text=_("merchant:ID、party:ID 或 new")
    )
    new_kind = forms.ChoiceField(label=_("当事人类型"), choices=Party.Kind.choices, required=False)
    new_name = forms.CharField(label=_("姓名/名称"), max_length=120, required=False)
    new_id_number = forms.CharField(
        label=_("身份证号/统一社会信用代码"), max_length=32, required=False
    )
    new_phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)
    new_address = forms.CharField(label=_("住所/地址"), max_length=200, required=False)
    occurred_at = forms.DateTimeField(
        label=_("违法时间"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    place = forms.CharField(label=_("地点"), max_length=200)
    lat = forms.FloatField(label=_("纬度"), required=False, min_value=-90, max_value=90)
    lng = forms.FloatField(label=_("经度"), required=False, min_value=-180, max_value=180)
    source = forms.ChoiceField(label=_("来源"), choices=Source.choices, initial="field")
    source_ref = forms.CharField(label=_("来源编号"), max_length=100, required=False)
    evidence_refs = forms.CharField(
        label=_("证据（每行一个照片编号或SHA-256）"), widget=forms.Textarea, required=False
    )
    corrected_promptly = forms.BooleanField(label=_("当场已改正"), required=False)
    harm = forms.ChoiceField(label=_("危害后果"), choices=HARM_CHOICES, initial="minor")
    area_m2 = forms.DecimalField(
        label=_("占用面积（平方米）"), required=False, min_value=0, max_digits=8, decimal_places=2
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        ref = data.get("party_ref", "")
        if ref == "new" and not (data.get("new_name") or "").strip():
            self.add_error("new_name", _("请填写当事人姓名或名称。"))
        elif (
            ref
            and ref != "new"
            and not (ref.startswith(("merchant:", "party:")) and ref.split(":", 1)[1].isdigit())
        ):
            self.add_error("party_ref", _("请选择当事人。"))
        return data

    @staticmethod
    def default_time() -> str:
        return timezone.localtime().strftime("%Y-%m-%dT%H:%M")

    def evidence_list(self) -> list[str]:
        raw = self.cleaned_data.get("evidence_refs") or ""
        return [line.strip() for line in raw.splitlines() if line.strip()]

    def facts(self) -> dict[str, Any]:
        facts: dict[str, Any] = {
            "corrected_promptly": bool(self.cleaned_data.get("corrected_promptly")),
            "harm": self.cleaned_data.get("harm") or "minor",
        }
        if self.cleaned_data.get("area_m2") is not None:
            facts["area_m2"] = str(self.cleaned_data["area_m2"])
        return facts
