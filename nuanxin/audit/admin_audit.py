"""Django admin is a write path too: every add, change and delete made through it writes an
audit row in the admin's own transaction (actor, object, changed fields before/after, source
IP), with secrets masked.

`AuditedModelAdmin` does the recording. `AuditedAdminSite` (the project's `admin.site`, see
`nuanxin.audit.apps.AuditedAdminConfig`) mixes it into every ModelAdmin registered on it,
ours and third-party ones alike, so a new admin class cannot forget it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from django.contrib import admin
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, router, transaction
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest

from nuanxin.audit.services import audit_record
from nuanxin.core.http import client_ip

MASK = "***"
# Field names whose values never enter an audit row: password hashes, token hashes, keys.
SECRET_FIELD = re.compile(r"password|secret|hash|token|key|salt|private|otp", re.IGNORECASE)
_BEFORE_ATTR = "_nuanxin_admin_before"


def _value(obj: models.Model, field: Any) -> Any:
    if field.many_to_many:
        if obj.pk is None:
            return []
        return sorted(getattr(obj, field.name).values_list("pk", flat=True))
    value = getattr(obj, field.attname)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)  # forms hand back local time, the database UTC
    if isinstance(value, bytes | memoryview):
        return f"<{len(value)} bytes>"
    return value


def admin_snapshot(obj: models.Model | None) -> dict[str, Any]:
    """Every concrete and many-to-many field of `obj` (foreign keys by id), JSON-ready and
    unmasked: compare with it, and `mask` it before it goes into a row."""
    if obj is None:
        return {}
    fields = [*obj._meta.concrete_fields, *obj._meta.many_to_many]
    data = {(f.name if f.many_to_many else f.attname): _value(obj, f) for f in fields}
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False))


def mask(data: dict[str, Any]) -> dict[str, Any]:
    return {k: MASK if SECRET_FIELD.search(k) else v for k, v in data.items()}


def _fresh(obj: models.Model) -> models.Model | None:
    if obj.pk is None:
        return None
    return type(obj)._default_manager.filter(pk=obj.pk).first()


class AuditedModelAdmin(admin.ModelAdmin):
    """Records admin writes: `admin.add` (after = every field), `admin.change` (only the
    changed fields, before and after), `admin.delete` (before = every field). A secret that
    changed shows as changed, with both values masked."""

    def _audit(
        self,
        request: HttpRequest,
        obj: models.Model,
        verb: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        audit_record(
            actor=request.user,
            action=f"admin.{verb}",
            obj=obj,
            before=before,
            after=after,
            source_ip=client_ip(request),
        )

    def _record_save(
        self, request: HttpRequest, obj: models.Model, before: dict[str, Any] | None
    ) -> None:
        after = admin_snapshot(obj)
        if before is None:
            self._audit(request, obj, "add", None, mask(after))
            return
        changed = [k for k in after if before.get(k) != after.get(k)]
        if changed:
            self._audit(
                request,
                obj,
                "change",
                mask({k: before.get(k) for k in changed}),
                mask({k: after[k] for k in changed}),
            )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        stash = getattr(request, _BEFORE_ATTR, {})
        stash[(obj._meta.label_lower, obj.pk)] = admin_snapshot(_fresh(obj)) if change else None
        setattr(request, _BEFORE_ATTR, stash)
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Runs after save_model and the many-to-many save, so the row sees the final state."""
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(request, _BEFORE_ATTR, {}).pop((obj._meta.label_lower, obj.pk), None)
        self._record_save(request, obj, before if change else None)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Inline rows (licences under a merchant, …) are audited one by one."""
        befores = {
            f.instance.pk: admin_snapshot(_fresh(f.instance))
            for f in formset.initial_forms
            if f.instance.pk is not None
        }
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            self._record_save(request, obj, None)
        for obj, _fields in formset.changed_objects:
            self._record_save(request, obj, befores.get(obj.pk, {}))
        for obj in formset.deleted_objects:
            self._audit(request, obj, "delete", mask(befores.get(obj.pk, {})), None)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        before, pk = mask(admin_snapshot(obj)), obj.pk
        super().delete_model(request, obj)
        obj.pk = pk  # delete() cleared it; the audit row names the row that was deleted
        self._audit(request, obj, "delete", before, None)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        """The "delete selected" action: one audit row per object, all in one transaction."""
        with transaction.atomic(using=router.db_for_write(self.model)):
            doomed = [(obj, obj.pk, mask(admin_snapshot(obj))) for obj in queryset]
            super().delete_queryset(request, queryset)
            for obj, pk, before in doomed:
                obj.pk = pk
                self._audit(request, obj, "delete", before, None)


def is_audited(model_admin: admin.ModelAdmin) -> bool:
    return isinstance(model_admin, AuditedModelAdmin)


class AuditedAdminSite(admin.AdminSite):
    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedModelAdmin):
            admin_class = type(
                admin_class.__name__,
                (AuditedModelAdmin, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)
