"""Forms only validate shapes; the rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from nuanxin.feedback.catalog import all_rating_tags, categories


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("星级"),
        choices=[(i, str(i)) for i in range(1, 6)],
        coerce=int,
        error_messages={"required": _("请选择星级。")},
    )
    tags = forms.MultipleChoiceField(label=_("标签"), required=False)
    text = forms.CharField(label=_("评价内容"), required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tags = self.fields["tags"]
        assert isinstance(tags, forms.MultipleChoiceField)
        tags.choices = [(t, t) for t in all_rating_tags()]


class ComplaintForm(forms.Form):
    category = forms.ChoiceField(label=_("投诉类别"))
    description = forms.CharField(
        label=_("问题描述"), min_length=5, max_length=2000, widget=forms.Textarea
    )
    phone = forms.CharField(label=_("回访电话（选填）"), required=False, max_length=20)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = [("", _("请选择"))] + [(c.code, c.name) for c in categories()]


class FeedbackForm(forms.Form):
    satisfied = forms.TypedChoiceField(
        choices=[("1", _("满意")), ("0", _("不满意"))], coerce=lambda v: v == "1"
    )
    note = forms.CharField(required=False, max_length=500)


class StaffComplaintForm(forms.Form):
    """A complaint entered by staff; the merchant comes from the search (its id), or the
    location from coordinates and/or an address."""

    channel = forms.ChoiceField(
        label=_("受理渠道"), error_messages={"required": _("请选择受理渠道。")}
    )
    category = forms.ChoiceField(label=_("投诉类别"))
    description = forms.CharField(
        label=_("问题描述"), min_length=5, max_length=2000, widget=forms.Textarea
    )
    merchant = forms.IntegerField(required=False, widget=forms.HiddenInput)
    address = forms.CharField(label=_("问题地址"), required=False, max_length=200)
    lat = forms.FloatField(label=_("纬度"), required=False)
    lng = forms.FloatField(label=_("经度"), required=False)
    contact_name = forms.CharField(label=_("投诉人姓名（选填）"), required=False, max_length=50)
    phone = forms.CharField(label=_("回访电话（选填）"), required=False, max_length=20)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from nuanxin.feedback.models import Complaint

        super().__init__(*args, **kwargs)
        channel = self.fields["channel"]
        assert isinstance(channel, forms.ChoiceField)
        labels = dict(Complaint.Source.choices)
        channel.choices = [("", _("请选择"))] + [
            (code, labels[code]) for code in Complaint.STAFF_CHANNELS
        ]
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = [("", _("请选择"))] + [(c.code, c.name) for c in categories()]


def form_problems(form: forms.Form) -> str:
    """The form's errors as one sentence for the page's error banner."""
    return _("请检查填写的内容：") + "；".join(
        str(e) for errs in form.errors.values() for e in errs
    )
