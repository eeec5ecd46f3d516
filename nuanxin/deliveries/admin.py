from django.contrib import admin

from nuanxin.deliveries.models import Delivery, DeliveryConsent, DeliveryEvent, SmsOutbox


class EventInline(admin.TabularInline):
    model = DeliveryEvent
    extra = 0
    can_delete = False
    fields = ["at", "kind", "channel", "data"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["document_number", "party_name", "status", "served_at", "created_at"]
    list_filter = ["status", "doc_type"]
    search_fields = ["document_number", "party_name"]
    inlines = [EventInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(DeliveryConsent)
class DeliveryConsentAdmin(admin.ModelAdmin):
    list_display = ["party_name", "channels", "signed_at", "revoked_at", "document_number"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(SmsOutbox)
class SmsOutboxAdmin(admin.ModelAdmin):
    list_display = ["phone", "created_at", "sent_at"]
    readonly_fields = ["phone", "text", "attempt", "created_at", "sent_at", "gateway_response"]
