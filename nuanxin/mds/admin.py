from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from nuanxin.mds.models import MdsEvent, Policy, PruneMark, Telemetry, Trip
from nuanxin.mds.policy import policy_publish


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MdsEvent)
class MdsEventAdmin(ReadOnly):
    list_display = ["event_id", "operator", "bike", "vehicle_state", "event_types", "timestamp"]
    list_filter = ["operator", "vehicle_state"]
    search_fields = ["event_id", "bike__plate"]
    list_select_related = ["operator", "bike"]
    show_full_result_count = False


@admin.register(Telemetry)
class TelemetryAdmin(ReadOnly):
    list_display = ["telemetry_id", "operator", "bike", "timestamp", "lat", "lng", "accuracy_m"]
    list_filter = ["operator"]
    list_select_related = ["operator", "bike"]
    show_full_result_count = False


@admin.register(Trip)
class TripAdmin(ReadOnly):
    list_display = ["trip_id", "operator", "bike", "start_time", "end_time", "distance_m"]
    list_filter = ["operator"]
    list_select_related = ["operator", "bike"]
    show_full_result_count = False


@admin.register(PruneMark)
class PruneMarkAdmin(ReadOnly):
    """How far retention has pruned each kind (the audit log has every chunk)."""

    list_display = ["kind", "through_id", "updated_at"]


@admin.register(Policy)
class PolicyAdmin(ReadOnly):
    list_display = ["policy_id", "name", "start_date", "end_date", "published_date"]
    actions = ["publish_now"]

    @admin.action(description=_lazy("按当前停放点发布新政策"))
    def publish_now(self, request: HttpRequest, queryset: Any) -> None:
        policy = policy_publish(by=request.user)
        if policy is None:
            messages.info(request, _("停放点没有变化，无需发布新政策。"))
        else:
            messages.success(request, _("已发布政策 %(id)s。") % {"id": policy.policy_id})
