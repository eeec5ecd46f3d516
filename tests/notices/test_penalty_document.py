"""Past the deadline: a sealed penalty decision, served electronically, linked to the notice."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import transaction

from nuanxin.notices.models import Notice, PenaltyDecision
from nuanxin.notices.penalties import penalties_issue_due, penalty_documents_retry
from tests.notices.test_loop import violate


@pytest.fixture(scope="session")
def notices_keys_root(tmp_path_factory: Any) -> Path:
    return tmp_path_factory.mktemp("notices-signing-keys")


@pytest.fixture
def enforcement(personas: Any, settings: Any, notices_keys_root: Path, tmp_path: Path) -> Any:
    """Law catalogue, signing keys (bureau seal) and the operator's consent to e-service."""
    from nuanxin.deliveries.services import delivery_consent_record
    from nuanxin.documents.keys import signing_keys_ensure
    from nuanxin.laws.loader import catalogue_load
    from nuanxin.violations.services_party import party_for_operator

    settings.SIGNING_KEYS_DIR = notices_keys_root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    signing_keys_ensure()
    catalogue_load(path=Path(django_settings.BASE_DIR) / "data/law/catalogue.yaml")
    with transaction.atomic():
        party = party_for_operator(operator=personas.operator, by=personas.admin)
        delivery_consent_record(
            party=party,
            channels=["portal"],
            addresses={"email": "legal@qingju.example"},
            by=personas.admin,
        )
    return party


def test_expired_notice_gets_a_sealed_served_decision(city, enforcement, personas):
    from nuanxin.deliveries.models import Delivery
    from nuanxin.documents.models import Document
    from nuanxin.documents.selectors import document_pdf_bytes
    from nuanxin.documents.signing import signing_backend

    violate(city.bike)
    notice = Notice.objects.get(bike=city.bike)
    assert penalties_issue_due(notice.due_at + dt.timedelta(seconds=1)) == 1
    notice.refresh_from_db()
    decision = PenaltyDecision.objects.get(notice=notice)
    assert notice.status == "penalised"
    assert decision.status == "issued", decision.note
    assert decision.amount is not None and decision.amount >= 0
    document = Document.objects.get(pk=decision.document_id)
    assert document.doc_type == "penalty_decision" and document.sealed
    assert decision.number == document.number
    statuses = signing_backend().validate(document_pdf_bytes(document))
    assert statuses[-1].field_name == "AgencySeal"
    assert all(s.intact and s.valid and s.trusted for s in statuses)
    delivery = Delivery.objects.get(pk=decision.delivery_id)
    assert delivery.operator == personas.operator
    assert delivery.document_number == document.number
    assert delivery.served_at is not None  # portal service fixes the date of service


def test_missing_seal_key_leaves_one_pending_decision_that_is_completed_later(
    city, personas, settings, tmp_path, enforcement, notices_keys_root
):
    violate(city.bike)
    notice = Notice.objects.get(bike=city.bike)
    settings.SIGNING_KEYS_DIR = tmp_path / "no-keys"
    assert penalties_issue_due(notice.due_at) == 1
    decision = PenaltyDecision.objects.get(notice=notice)
    assert decision.status == "document_pending" and "密钥" in decision.note
    settings.SIGNING_KEYS_DIR = notices_keys_root
    assert penalty_documents_retry(notice.due_at) == 1
    decision.refresh_from_db()
    assert decision.status == "issued" and decision.document_id
    assert PenaltyDecision.objects.count() == 1
