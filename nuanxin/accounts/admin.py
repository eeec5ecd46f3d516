from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from nuanxin.accounts.models import ApiToken, User
from nuanxin.accounts.services import api_token_revoke
from nuanxin.audit.admin_audit import MASK, AuditedModelAdmin
from nuanxin.audit.services import audit_record
from nuanxin.core.http import client_ip


@admin.register(User)
class UserAdmin(AuditedModelAdmin, BaseUserAdmin):
    list_display = ("username", "display_name", "role", "district", "is_active")
    list_filter = ("role", "district", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("暖芯", {"fields": ("role", "district", "display_name", "phone", "badge_no")}),
    )  # type: ignore[misc]

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Django's password page saves outside save_model and outside a transaction: wrap it,
        and record the change (never the hash) when the stored password actually changed."""
        with transaction.atomic():
            before = User.objects.filter(pk=unquote(id)).values_list("password", flat=True).first()
            response = super().user_change_password(request, id, form_url)
            user = User.objects.filter(pk=unquote(id)).first()
            if user is not None and before is not None and user.password != before:
                audit_record(
                    actor=request.user,
                    action="admin.change",
                    obj=user,
                    before={"password": MASK},
                    after={"password": MASK},
                    source_ip=client_ip(request),
                )
        return response


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
