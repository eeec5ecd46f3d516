"""Who may see an issued document.

Staff see a document when they see the whole city, when they issued it, or
when its subject (a case, a merchant, a notice…) lies in their district. Each subject
model says where its district is through a small hook: a model with a `district`
foreign key works as is; others register a field path once, from their AppConfig.ready:

    register_subject_district("notices.notice", "spot__district")

The party never logs in here: they reach their own document through the QR code's
public verification page.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast

from nuanxin.core.access import district_scope_id, not_found, require_staff, sees_whole_city
from nuanxin.documents.models import Document

SUBJECT_DISTRICT_FIELDS: dict[str, str] = {}


def register_subject_district(model_label: str, field_path: str) -> None:
    """`field_path` leads from the subject model to its District (e.g. "merchant__district")."""
    SUBJECT_DISTRICT_FIELDS[model_label.lower()] = field_path


def _district_path(model: Any) -> str | None:
    label = model._meta.label_lower
    if label in SUBJECT_DISTRICT_FIELDS:
        return SUBJECT_DISTRICT_FIELDS[label]
    names = {f.name for f in model._meta.get_fields()}
    return "district" if "district" in names else None


def _in_scope(user: Any, scope: int) -> Q:
    """Documents the user issued, or whose subject is in district `scope`."""
    condition = Q(issued_by=user)
    subject_types = Document.objects.exclude(subject_type=None).values_list(
        "subject_type", flat=True
    )
    for ct_id in set(subject_types):
        model = ContentType.objects.get_for_id(ct_id).model_class()
        path = _district_path(model) if model is not None else None
        if model is None or path is None:
            continue
        pks = (
            model._default_manager.filter(**{f"{path}_id": scope})
            .annotate(pk_text=Cast("pk", CharField()))
            .values("pk_text")
        )
        condition |= Q(subject_type_id=ct_id, subject_id__in=pks)
    return condition


def documents_visible_to(user: Any) -> QuerySet[Document]:
    user = require_staff(user)
    queryset = Document.objects.select_related("bureau", "verification", "issued_by")
    if sees_whole_city(user):
        return queryset
    scope = district_scope_id(user)
    assert scope is not None
    return queryset.filter(_in_scope(user, scope))


def access_document(user: Any, document_id: int | str) -> Document:
    """The document if `user` may see it; 404 when out of scope, 403 for non-staff."""
    queryset = documents_visible_to(user)
    try:
        document = queryset.filter(pk=int(document_id)).first()
    except (TypeError, ValueError):
        document = None
    if document is None:
        raise not_found()
    return document


def subject_model_registered(model_label: str) -> bool:
    model = apps.get_model(model_label)
    return _district_path(model) is not None
