from django.contrib import admin

from nuanxin.cases.models import Case, CaseAction, CaseDocument, CasePayment


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class ActionInline(ReadOnlyInline):
    model = CaseAction
    fields = ["at", "kind", "by", "from_status", "to_status", "note"]


class DocumentInline(ReadOnlyInline):
    model = CaseDocument
    fields = ["issued_at", "doc_type", "number", "document_id"]


class PaymentInline(ReadOnlyInline):
    model = CasePayment
    fields = ["paid_on", "amount", "channel", "receipt_no", "recorded_by"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: every change to a case goes through an audited service."""

    list_display = [
        "number",
        "status",
        "party_name",
        "tag_name",
        "district",
        "filed_on",
        "decision_due",
        "departure_flagged",
    ]
    list_filter = ["status", "procedure", "district", "departure_flagged"]
    search_fields = ["number", "party_name", "tag_name"]
    inlines = [ActionInline, DocumentInline, PaymentInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
