"""Back-office view of violations and slips (read-only: changes go through services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from nuanxin.violations.models import Party, Slip, Violation


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Party)
class PartyAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "id_number_masked", "district", "merchant", "operator")
    list_filter = ("kind", "district")
    search_fields = ("name",)
    exclude = ("id_number",)


@admin.register(Violation)
class ViolationAdmin(ReadOnlyAdmin):
    list_display = ("party", "tag_code", "outcome", "occurred_at", "district", "catalogue_version")
    list_filter = ("outcome", "district", "source", "catalogue_version")
    search_fields = ("party__name", "place", "source_ref")


@admin.register(Slip)
class SlipAdmin(ReadOnlyAdmin):
    list_display = ("number", "issued_at", "revoked_at")
    search_fields = ("number",)
    exclude = ("content",)
