"""Back-office view of the catalogue: read-only, because a loaded version never changes.
Edit data/law/catalogue.yaml (or the exported Excel) and load it as a new version."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from nuanxin.laws.models import Article, BehaviourTag, CatalogueVersion, DiscretionLevel, Law


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(CatalogueVersion)
class CatalogueVersionAdmin(ReadOnlyAdmin):
    list_display = ("version", "effective_date", "sha256", "loaded_at")


@admin.register(Law)
class LawAdmin(ReadOnlyAdmin):
    list_display = ("title", "scope", "version_date", "catalogue")
    list_filter = ("catalogue", "scope")


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "scope", "text_complete", "catalogue")
    list_filter = ("catalogue", "scope", "text_complete")


class DiscretionInline(admin.TabularInline):
    model = DiscretionLevel
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(BehaviourTag)
class BehaviourTagAdmin(ReadOnlyAdmin):
    list_display = ("name", "code", "category", "penalty_scope", "leniency_allowed", "catalogue")
    list_filter = ("catalogue", "category", "penalty_scope", "leniency_allowed")
    search_fields = ("name", "code", "search_text", "pinyin_initials")
    inlines = [DiscretionInline]
