"""Admin: read-only views of credit events, scores and history, with the loaded rules version.

The rules themselves are data in data/credit/rules.yaml (see docs/architecture/merchants-credit.md);
the admin shows which version is in force so the bureau can confirm an edit took effect.
"""

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from nuanxin.credit.models import CreditEvent, CreditScore, CreditState
from nuanxin.credit.rules import RulesError, rules_current, rules_path


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        try:
            rules = rules_current()
            messages.info(
                request,
                _("当前信用规则：%(title)s，版本 %(version)s，自 %(date)s 起施行（%(path)s）")
                % {
                    "title": rules.title,
                    "version": rules.version,
                    "date": rules.effective_from,
                    "path": rules_path(),
                },
            )
        except (OSError, RulesError) as exc:
            messages.error(request, _("信用规则文件无法加载：%(e)s") % {"e": exc})
        return super().changelist_view(request, extra_context)


@admin.register(CreditState)
class CreditStateAdmin(ReadOnlyAdmin):
    list_display = ["merchant", "level", "score", "rules_version", "updated_at"]
    list_filter = ["level", "rules_version"]
    search_fields = ["merchant__name", "merchant__uscc"]


@admin.register(CreditScore)
class CreditScoreAdmin(ReadOnlyAdmin):
    list_display = ["merchant", "computed_at", "previous_score", "score", "level", "rules_version"]
    list_filter = ["level", "rules_version"]
    search_fields = ["merchant__name", "merchant__uscc"]


@admin.register(CreditEvent)
class CreditEventAdmin(ReadOnlyAdmin):
    list_display = ["merchant", "kind", "value", "occurred_at", "source_label"]
    list_filter = ["kind"]
    search_fields = ["merchant__name", "source_label"]
