from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _

from nuanxin.merchants import validation
from nuanxin.merchants.models import Inspection, Licence, Merchant


class MerchantAdminForm(forms.ModelForm):
    """The admin edits rows directly, so it applies the registry's own field checks (the
    USCC check digit per GB 32100-2015, the phone format) with the same messages."""

    class Meta:
        model = Merchant
        fields = "__all__"  # noqa: DJ007 -- the admin chooses what it shows

    def clean_uscc(self) -> str:
        code, error = validation.check_uscc(self.cleaned_data.get("uscc"))
        if error:
            raise forms.ValidationError(error)
        return code

    def clean_contact_phone(self) -> Any:
        phone = self.cleaned_data.get("contact_phone")
        error = validation.check_phone(phone)
        if error:
            raise forms.ValidationError(error)
        return phone


class LicenceAdminForm(forms.ModelForm):
    class Meta:
        model = Licence
        fields = "__all__"  # noqa: DJ007 -- the admin chooses what it shows

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        valid_from, valid_until = data.get("valid_from"), data.get("valid_until")
        if valid_from and valid_until and valid_until < valid_from:
            self.add_error("valid_until", _("有效期至不能早于有效期自。"))
        return data


class LicenceInline(admin.TabularInline):
    model = Licence
    form = LicenceAdminForm
    extra = 0


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    form = MerchantAdminForm
    list_display = ["name", "uscc", "kind", "district", "street", "status"]
    list_filter = ["district", "kind", "status"]
    search_fields = ["name", "uscc", "address"]
    inlines = [LicenceInline]
    filter_horizontal = ["owners"]


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ["merchant", "officer", "at", "result"]
    list_filter = ["result"]
    raw_id_fields = ["merchant"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # recorded through inspection_record so credit follows
