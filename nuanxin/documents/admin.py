from django.contrib import admin

from nuanxin.documents.models import Document, DocumentCounter, VerificationRecord


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "party_name", "issued_at", "sealed"]
    list_filter = ["doc_type", "year", "sealed"]
    search_fields = ["number", "party_name", "sha256"]
    readonly_fields = [f.name for f in Document._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # documents are only issued through document_issue

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(DocumentCounter)
class DocumentCounterAdmin(admin.ModelAdmin):
    list_display = ["bureau", "doc_type", "year", "last_serial"]
    readonly_fields = ["bureau", "doc_type", "year", "last_serial"]


@admin.register(VerificationRecord)
class VerificationRecordAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "title", "agency_name", "issued_at"]
    search_fields = ["number", "sha256"]
    readonly_fields = [f.name for f in VerificationRecord._meta.fields]
