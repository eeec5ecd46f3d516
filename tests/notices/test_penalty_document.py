"""Past the deadline: a numbered decision at once, then a sealed document served electronically,
linked to the notice."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import transaction

from nuanxin.notices.models import Notice, PenaltyDecision
from nuanxin.notices.penalties import penalties_issue_due, penalty_documents_issue
from tests.notices.test_loop import park_well, violate


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


def test_expired_notice_gets_a_numbered_decision_then_a_sealed_served_document(
    city, enforcement, personas
):
    from nuanxin.deliveries.models import Delivery
    from nuanxin.documents.models import Document, DocumentCounter
    from nuanxin.documents.selectors import document_pdf_bytes
    from nuanxin.documents.signing import signing_backend

    violate(city.bike)
    notice = Notice.objects.get(bike=city.bike)
    now = notice.due_at + dt.timedelta(seconds=1)
    assert penalties_issue_due(now) == 1
    notice.refresh_from_db()
    decision = PenaltyDecision.objects.get(notice=notice)
    # Issued: decided, numbered from the bureau's 罚决字 series, visible; not sealed yet.
    assert notice.status == "penalised"
    assert decision.status == "document_pending" and decision.document_id is None
    assert decision.number.endswith(f"〔{decision.number_year}〕第000001号")
    assert decision.number_serial == 1 and decision.bureau is not None
    assert DocumentCounter.objects.get(doc_type="penalty_decision").last_serial == 1

    assert penalty_documents_issue(now) == 1
    decision.refresh_from_db()
    assert decision.status == "issued", decision.note
    assert decision.amount is not None and decision.amount >= 0
    assert decision.sealed_at is not None and decision.sealed_at >= decision.issued_at
    document = Document.objects.get(pk=decision.document_id)
    assert document.doc_type == "penalty_decision" and document.sealed
    assert decision.number == document.number and document.serial == decision.number_serial
    statuses = signing_backend().validate(document_pdf_bytes(document))
    assert statuses[-1].field_name == "AgencySeal"
    assert all(s.intact and s.valid and s.trusted for s in statuses)
    delivery = Delivery.objects.get(pk=decision.delivery_id)
    assert delivery.operator == personas.operator
    assert delivery.document_number == document.number
    assert delivery.served_at is not None  # portal service fixes the date of service
    assert penalty_documents_issue(now + dt.timedelta(hours=1)) == 0  # nothing twice
    assert Document.objects.filter(doc_type="penalty_decision").count() == 1
    # The counter was not advanced again by the document: no gap in the series.
    assert DocumentCounter.objects.get(doc_type="penalty_decision").last_serial == 1


def test_missing_seal_key_leaves_one_pending_decision_that_is_completed_later(
    city, personas, settings, tmp_path, enforcement, notices_keys_root
):
    violate(city.bike)
    notice = Notice.objects.get(bike=city.bike)
    settings.SIGNING_KEYS_DIR = tmp_path / "no-keys"
    assert penalties_issue_due(notice.due_at) == 1
    decision = PenaltyDecision.objects.get(notice=notice)
    assert decision.status == "document_pending"
    assert penalty_documents_issue(notice.due_at) == 0
    decision.refresh_from_db()
    assert decision.status == "document_pending" and "密钥" in decision.note
    assert decision.document_attempts == 1
    settings.SIGNING_KEYS_DIR = notices_keys_root
    # Retried after the back-off, not before.
    assert penalty_documents_issue(notice.due_at + dt.timedelta(seconds=30)) == 0
    assert penalty_documents_issue(notice.due_at + dt.timedelta(seconds=61)) == 1
    decision.refresh_from_db()
    assert decision.status == "issued" and decision.document_id
    assert PenaltyDecision.objects.count() == 1


def test_decision_without_a_bureau_is_numbered_when_the_document_is_made(
    city, personas, enforcement, monkeypatch
):
    violate(city.bike)
    notice = Notice.objects.get(bike=city.bike)
    monkeypatch.setenv("NOTICE_BUREAU_CODE", "no-such-bureau")
    assert penalties_issue_due(notice.due_at) == 1
    decision = PenaltyDecision.objects.get(notice=notice)
    assert decision.number == f"{notice.number}-P" and decision.number_serial is None
    assert penalty_documents_issue(notice.due_at) == 0  # still no bureau: stays pending
    monkeypatch.delenv("NOTICE_BUREAU_CODE")
    assert penalty_documents_issue(notice.due_at + dt.timedelta(seconds=61)) == 1
    decision.refresh_from_db()
    assert decision.status == "issued" and decision.number_serial == 1
    assert decision.number == decision.document_number and decision.number.endswith("第000001号")


def test_several_decisions_in_one_chunk_get_consecutive_numbers_and_chain_audit(
    city, enforcement, personas
):
    from django.core.management import call_command

    from nuanxin.audit.models import AuditEvent
    from tests.compliance.factories import make_bike

    bikes = [city.bike, make_bike(personas.operator), make_bike(personas.operator)]
    for bike in bikes:
        violate(bike)
    due = max(Notice.objects.values_list("due_at", flat=True))
    assert penalties_issue_due(due) == 3
    serials = sorted(PenaltyDecision.objects.values_list("number_serial", flat=True))
    assert serials == [1, 2, 3]
    assert AuditEvent.objects.filter(action="notice.penalise").count() == 3
    call_command("audit_verify")
    assert penalty_documents_issue(due, budget_s=60) == 3
    assert set(PenaltyDecision.objects.values_list("status", flat=True)) == {"issued"}


def test_operator_portal_says_decided_then_served(city, enforcement, personas, client_for):
    violate(city.bike)
    notice = Notice.objects.get(bike=city.bike)
    assert penalties_issue_due(notice.due_at) == 1
    decision = PenaltyDecision.objects.get(notice=notice)
    client = client_for(personas.operator_admin)
    page = client.get(f"/operator/notices/{notice.number}/").content.decode()
    assert decision.number in page and "正在加盖电子印章" in page and "并电子送达" not in page
    assert penalty_documents_issue(notice.due_at) == 1
    page = client.get(f"/operator/notices/{notice.number}/").content.decode()
    assert decision.number in page and "并电子送达" in page
    assert client_for(personas.outsider).get(f"/operator/notices/{notice.number}/").status_code in (
        302,
        403,
        404,
    )


def test_sealing_waits_for_fresh_decisions_but_not_for_a_stuck_one(city, enforcement):
    """Deciding comes first, but only for notices that just became due: one left undecided
    for minutes (a stuck deciding job) must not hold every sealed document back."""
    violate(city.bike)
    first = Notice.objects.get(bike=city.bike)
    now = first.due_at + dt.timedelta(seconds=1)
    assert penalties_issue_due(now) == 1  # decided; its document is pending

    park_well(city.bike, at=now - dt.timedelta(seconds=30))  # the bike moved into a spot
    violate(city.bike, at=now)  # parked badly again: a second notice, never decided here
    stuck = Notice.objects.get(bike=city.bike, status=Notice.Status.OPEN)
    Notice.objects.filter(pk=stuck.pk).update(due_at=now - dt.timedelta(seconds=10))
    assert penalty_documents_issue(now) == 0  # a fresh backlog: deciding comes first

    Notice.objects.filter(pk=stuck.pk).update(due_at=now - dt.timedelta(minutes=5))
    assert penalty_documents_issue(now) == 1  # stuck for minutes: sealing goes on
    assert PenaltyDecision.objects.get(notice=first).status == "issued"
    stuck.refresh_from_db()
    assert stuck.status == Notice.Status.OPEN


@pytest.fixture
def served(city: Any, enforcement: Any) -> PenaltyDecision:
    """A reminder left unfixed past its deadline: decided, sealed and served."""
    violate(city.bike)
    notice = Notice.objects.get(bike=city.bike)
    now = notice.due_at + dt.timedelta(seconds=1)
    penalties_issue_due(now)
    penalty_documents_issue(now)
    return PenaltyDecision.objects.select_related("notice").get(notice=notice)


def test_staff_open_the_sealed_decision_from_the_reminder_when_they_may(
    served, personas, client_for
):
    page = f"/staff/bikes/notices/{served.notice.number}/"
    for user in (personas.dispatcher, personas.officer_a, personas.officer_b):
        client = client_for(user)
        link = re.search(
            r'<a id="decision-document" href="([^"]+)"', client.get(page).content.decode()
        )
        if user == personas.dispatcher:
            assert link and link.group(1) == f"/staff/documents/{served.document_id}/"
        if link:  # offered only where it opens
            assert client.get(link.group(1)).status_code == 200
        else:
            assert client.get(f"/staff/documents/{served.document_id}/").status_code == 404


def test_the_operator_opens_its_served_decision_from_the_portal(served, personas, client_for):
    from nuanxin.deliveries.models import Delivery
    from tests.compliance.factories import make_worker

    number = served.notice.number
    worker = make_worker(personas.operator, "worker_served", 33.87, 115.75)
    html = client_for(worker.user).get(f"/operator/notices/{number}/").content.decode()
    link = re.search(r'<a class="button" id="served-decision" href="([^"]+)"', html)
    assert link and "/service/" in link.group(1)
    opened = client_for(worker.user).get(link.group(1))
    assert opened.status_code == 200 and served.number in opened.content.decode()
    assert Delivery.objects.get(pk=served.delivery_id).opened_at is not None
    staff_page = client_for(personas.dispatcher).get(f"/staff/bikes/notices/{number}/")
    assert 'id="served-decision"' not in staff_page.content.decode()
