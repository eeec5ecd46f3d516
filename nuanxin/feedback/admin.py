from django.contrib import admin

from nuanxin.feedback.models import Complaint, ComplaintEvent, Rating


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["merchant", "stars", "day", "hidden", "created_at"]
    list_filter = ["stars", "hidden"]
    search_fields = ["merchant__name", "text"]
    list_select_related = ["merchant"]
    readonly_fields = [f.name for f in Rating._meta.fields]


class EventInline(admin.TabularInline):
    model = ComplaintEvent
    extra = 0
    fields = ("at", "actor_label", "kind", "from_status", "to_status", "note", "public")
    readonly_fields = fields


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    """Read-only here: the workflow runs through the audited staff pages."""

    list_display = ["tracking_no", "category", "merchant", "district", "status", "overdue"]
    list_filter = ["status", "overdue", "source", "district"]
    search_fields = ["tracking_no", "merchant__name", "description"]
    list_select_related = ["merchant", "district"]
    readonly_fields = [f.name for f in Complaint._meta.fields]
    inlines = [EventInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
