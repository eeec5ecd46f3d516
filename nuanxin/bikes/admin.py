"""Back-office configuration: operators, crews, bikes, and versioned spots (edit = new version)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from nuanxin.bikes.models import (
    Bike,
    MaintenanceWorker,
    Operator,
    Spot,
    SpotCategory,
    SpotVersion,
    UnregisteredSighting,
)
from nuanxin.bikes.services_spots import (
    SpotIn,
    spot_change_check,
    spot_geometry_check,
    spot_save,
    spots_import,
)
from nuanxin.bikes.spot_files import EXCEL_COLUMNS, spots_from_excel, spots_from_geojson
from nuanxin.core.errors import DomainError


@admin.register(Operator)
class OperatorAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "uscc",
        "status",
        "quota",
        "plate_letter",
        "unregistered_event_count",
        "webhook_url",
        "webhook_signed",
    ]
    list_filter = ["status"]
    search_fields = ["code", "name", "uscc"]
    readonly_fields = ["provider_id", "unregistered_event_count"]
    filter_horizontal = ["members"]
    # A webhook URL without a secret is refused by Operator.clean (the change form calls it);
    # one typed without a scheme is taken as https, the only scheme production accepts.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(boolean=True, description=_lazy("已设签名密钥"))
    def webhook_signed(self, obj: Operator) -> bool:
        return bool(obj.webhook_secret)


@admin.register(MaintenanceWorker)
class MaintenanceWorkerAdmin(admin.ModelAdmin):
    list_display = ["name", "operator", "phone", "on_duty", "last_seen_at"]
    list_filter = ["operator", "on_duty"]
    search_fields = ["name", "phone", "user__username"]
    raw_id_fields = ["user"]


@admin.register(Bike)
class BikeAdmin(admin.ModelAdmin):
    list_display = [
        "plate",
        "operator",
        "vehicle_type",
        "vehicle_state",
        "state_at",
        "battery_percent",
    ]
    list_filter = ["operator", "vehicle_state", "vehicle_type"]
    search_fields = ["plate", "device_id"]
    list_select_related = ["operator"]
    show_full_result_count = False
    readonly_fields = [f.name for f in Bike._meta.fields if f.name not in {"id"}]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # operators register bikes through MDS Agency POST /vehicles


@admin.register(UnregisteredSighting)
class UnregisteredSightingAdmin(admin.ModelAdmin):
    list_display = ["operator", "device_id", "count", "first_seen_at", "last_seen_at"]
    list_filter = ["operator"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class SpotVersionInline(admin.TabularInline):
    model = SpotVersion
    extra = 0
    can_delete = False
    fields = [
        "version",
        "name",
        "capacity",
        "category",
        "status",
        "effective_from",
        "effective_to",
        "change_note",
        "created_by",
    ]
    readonly_fields = fields  # type: ignore[assignment]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SpotForm(forms.ModelForm):
    """Edits a spot by writing a new version through spot_save (history is never rewritten)."""

    name = forms.CharField(label=_lazy("名称"), max_length=100)
    address = forms.CharField(label=_lazy("位置描述"), max_length=200, required=False)
    polygon = forms.JSONField(label=_lazy("范围 (GeoJSON Polygon, WGS-84)"))
    capacity = forms.IntegerField(label=_lazy("容量（辆）"), min_value=1)
    category = forms.ChoiceField(label=_lazy("类别"), choices=SpotCategory.choices)
    status = forms.ChoiceField(label=_lazy("状态"), choices=SpotVersion.Status.choices)
    beacon_ids = forms.CharField(
        label=_lazy("蓝牙道钉编号"), required=False, help_text=_lazy("多个用逗号分隔")
    )
    effective_from = forms.DateTimeField(
        label=_lazy("生效时间"), required=False, help_text=_lazy("留空表示立即生效")
    )
    change_note = forms.CharField(label=_lazy("变更说明"), max_length=200, required=False)

    class Meta:
        model = Spot
        fields = ["code"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.versions.order_by("-version").first() if self.instance.pk else None
        if current is not None:
            self.fields["code"].disabled = True
            for name in ["name", "address", "polygon", "capacity", "category", "status"]:
                self.initial[name] = getattr(current, name)
            self.initial["beacon_ids"] = ", ".join(current.beacon_ids)

    def clean_polygon(self) -> Any:
        polygon = self.cleaned_data["polygon"]
        try:
            spot_geometry_check(polygon)
        except DomainError as exc:
            raise ValidationError(exc.message) from exc
        return polygon

    def clean(self) -> dict[str, Any]:
        """The effective time by the service's own rule (`spot_change_check`): a version
        dated before the current or a scheduled one, or in the past, is an error here."""
        cleaned = super().clean() or {}
        try:
            spot_change_check(
                spot=self.instance if self.instance.pk else None,
                effective_from=cleaned.get("effective_from"),
            )
        except DomainError as exc:
            self.add_error("effective_from", exc.message)
        return cleaned

    def spot_in(self) -> SpotIn:
        d = self.cleaned_data
        beacons = tuple(
            b.strip() for b in (d.get("beacon_ids") or "").replace("，", ",").split(",")
        )
        return SpotIn(
            code=self.instance.code if self.instance.pk else d["code"],
            name=d["name"],
            polygon=d["polygon"],
            capacity=d["capacity"],
            category=d["category"],
            status=d["status"],
            beacon_ids=tuple(b for b in beacons if b),
            address=d.get("address", ""),
        )


class SpotImportForm(forms.Form):
    file = forms.FileField(label=_lazy("GeoJSON 或 Excel 文件"))
    effective_from = forms.DateTimeField(label=_lazy("生效时间"), required=False)


@admin.register(Spot)
class SpotAdmin(admin.ModelAdmin):
    form = SpotForm
    list_display = ["code", "district", "current_name", "current_capacity", "current_status"]
    list_filter = ["district"]
    search_fields = ["code", "versions__name"]
    inlines = [SpotVersionInline]
    change_list_template = "bikes/admin/spot_change_list.html"

    def _current(self, obj: Spot) -> SpotVersion | None:
        return obj.versions.order_by("-version").first()

    @admin.display(description=_lazy("名称"))
    def current_name(self, obj: Spot) -> str:
        v = self._current(obj)
        return v.name if v else ""

    @admin.display(description=_lazy("容量"))
    def current_capacity(self, obj: Spot) -> int | None:
        v = self._current(obj)
        return v.capacity if v else None

    @admin.display(description=_lazy("状态"))
    def current_status(self, obj: Spot) -> str:
        v = self._current(obj)
        return v.get_status_display() if v else ""

    def save_model(self, request: HttpRequest, obj: Spot, form: Any, change: bool) -> None:
        # The form checked the rules (SpotForm.clean); a DomainError here means the spot
        # changed meanwhile, and changeform_view turns it into a message.
        version = spot_save(
            data=form.spot_in(),
            by=request.user,
            effective_from=form.cleaned_data.get("effective_from"),
            note=form.cleaned_data.get("change_note", ""),
        )
        obj.pk = version.spot_id
        obj.refresh_from_db()

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """A rule broken between the form's check and the write (another edit in between):
        the admin's transaction rolled everything back; say why and show the form again."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(request.get_full_path())

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        return None  # versions are written by spot_save, never edited

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> list:
        return super().construct_change_message(request, form, [], add)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # retire a spot (a new version) instead; history must stay replayable

    def get_urls(self) -> list:
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="bikes_spot_import"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return redirect("admin:bikes_spot_changelist")
        errors: list[str] = []
        form = SpotImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            raw = upload.read()
            try:
                if upload.name.lower().endswith((".xlsx", ".xlsm")):
                    rows = spots_from_excel(raw)
                else:
                    rows = spots_from_geojson(raw)
                versions = spots_import(
                    rows=rows,
                    by=request.user,
                    effective_from=form.cleaned_data["effective_from"],
                    source=upload.name,
                )
            except DomainError as exc:
                errors = exc.details.get("rows") or [exc.message]
            else:
                messages.success(request, _("已导入 %(n)d 个停放点。") % {"n": len(versions)})
                return redirect("admin:bikes_spot_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "errors": errors,
            "columns": EXCEL_COLUMNS,
            "opts": self.model._meta,
            "title": _("导入停放点"),
        }
        return render(request, "bikes/admin/spot_import.html", context)
