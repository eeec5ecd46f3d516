from django.contrib import admin

from nuanxin.opcredit.models import Assessment, OperatorComplaint


@admin.register(OperatorComplaint)
class OperatorComplaintAdmin(admin.ModelAdmin):
    list_display = ("operator", "received_at", "source", "summary", "valid")
    list_filter = ("operator", "valid", "source")


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ("operator", "kind", "period", "score", "outcome", "quota_before", "quota_after")
    list_filter = ("kind", "outcome", "operator")
    readonly_fields = [f.name for f in Assessment._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # assessments come from `manage.py operator_assess`, never by hand
