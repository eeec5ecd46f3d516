from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from nuanxin.evidence.models import CustodyEvent, EvidenceItem


def evidence_for_subject(subject: models.Model) -> QuerySet[EvidenceItem]:
    """Evidence linked to `subject`, oldest capture first."""
    subject_type = ContentType.objects.get_for_model(subject)
    return EvidenceItem.objects.filter(
        links__subject_type=subject_type, links__subject_id=str(subject.pk)
    ).order_by("captured_at", "pk")


def evidence_document_list(subject: models.Model) -> list[dict[str, str]]:
    """The `evidence` list a document context expects: name + SHA-256 per item."""
    return [
        {
            "name": f"{item.get_kind_display()} {item.captured_at:%Y-%m-%d %H:%M} {item.device_id}",
            "sha256": item.sha256,
        }
        for item in evidence_for_subject(subject)
    ]


def custody_log(item: EvidenceItem) -> QuerySet[CustodyEvent]:
    return item.custody.select_related("actor").order_by("at", "pk")
