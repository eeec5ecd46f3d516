from django.contrib import admin

from nuanxin.doorcodes.models import CounterfeitScan, DoorCode


@admin.register(DoorCode)
class DoorCodeAdmin(admin.ModelAdmin):
    list_display = ["merchant", "code_id", "version", "issued_at", "revoked_at"]
    search_fields = ["code_id", "merchant__name", "merchant__uscc"]
    list_select_related = ["merchant"]
    readonly_fields = [f.name for f in DoorCode._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # issue through the staff page, which audits it


@admin.register(CounterfeitScan)
class CounterfeitScanAdmin(admin.ModelAdmin):
    list_display = ["last_seen_at", "reason", "token_text", "hits", "grid_cell", "district", "ip"]
    list_filter = ["reason", "district"]
    readonly_fields = [f.name for f in CounterfeitScan._meta.fields]
