from django.contrib import admin

from nuanxin.merchants.models import Inspection, Licence, Merchant


class LicenceInline(admin.TabularInline):
    model = Licence
    extra = 0


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
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
