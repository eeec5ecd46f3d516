from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from nuanxin.accounts.models import ApiToken, User
from nuanxin.accounts.services import api_token_revoke


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "role", "district", "is_active")
    list_filter = ("role", "district", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("暖芯", {"fields": ("role", "district", "display_name", "phone", "badge_no")}),
    )  # type: ignore[misc]


@admin.action(description="吊销所选令牌")
def revoke_tokens(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[ApiToken]
) -> None:
    for token in queryset:
        api_token_revoke(token=token, by=request.user)  # type: ignore[arg-type]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    actions = [revoke_tokens]
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Tokens are issued through api_token_issue (manage.py api_token_issue), which shows
        # the secret once; the admin cannot create one without revealing or losing it.
        return False
