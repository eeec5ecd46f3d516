from django.contrib import admin

from nuanxin.evidence.models import CustodyEvent, EvidenceItem, EvidenceLink


class ReadOnlyAdmin(admin.ModelAdmin):
    """Evidence is written only through its services (hash, custody, audit)."""

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(EvidenceItem)
class EvidenceItemAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "sha256", "captured_at", "device_id", "uploaded_by", "linked_at"]
    list_filter = ["kind"]
    search_fields = ["sha256", "device_id"]


@admin.register(EvidenceLink)
class EvidenceLinkAdmin(ReadOnlyAdmin):
    list_display = ["item", "subject_type", "subject_id", "linked_by", "linked_at"]


@admin.register(CustodyEvent)
class CustodyEventAdmin(ReadOnlyAdmin):
    list_display = ["item", "action", "actor_label", "at"]
    list_filter = ["action"]
