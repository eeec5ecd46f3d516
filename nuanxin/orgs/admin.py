from django.contrib import admin

from nuanxin.orgs.models import Bureau, District


@admin.register(Bureau)
class BureauAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "short_name", "phone")


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "bureau")
    list_filter = ("kind",)
    search_fields = ("code", "name")
