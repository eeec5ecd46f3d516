from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from nuanxin.accounts.models import ApiToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "role", "district", "is_active")
    list_filter = ("role", "district", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("暖芯", {"fields": ("role", "district", "display_name", "phone", "badge_no")}),
    )  # type: ignore[misc]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "operator",
        "integration",
        "prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("kind",)
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")
