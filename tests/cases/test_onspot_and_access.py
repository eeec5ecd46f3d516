from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from nuanxin.cases.access import access_case
from nuanxin.cases.models import Case, CaseStatus
from nuanxin.cases.services import case_decide_onspot, onspot_check
from nuanxin.cases.services.common import PartyInfo
from nuanxin.core.errors import DomainError
from tests.case_fixtures import make_proposal

PERSON = PartyInfo(kind="person", name="李四", id_number="341602199001011234")
COMPANY = PartyInfo(kind="organisation", name="亳州某建筑公司", id_number="91341600MA2N0000X1")


def _onspot(p: Any, party: Any, amount: str, **kw: Any) -> Case:
    return case_decide_onspot(
        by=p.officer_a,
        second_officer=p.officer_a2,
        party=party,
        proposal=make_proposal(level="lighter", amount=amount, lo="0", hi="5000"),
        facts="在人民路流动摆摊经营。",
        place="谯城区人民路与中华路交叉口",
        occurred_at=timezone.now() - dt.timedelta(minutes=10),
        **kw,
    )


def test_onspot_limits_of_article_51() -> None:
    onspot_check(party_kind="person", amount=Decimal("200"), warning_only=False)
    onspot_check(party_kind="organisation", amount=Decimal("3000"), warning_only=False)
    onspot_check(party_kind="organisation", amount=Decimal("50000"), warning_only=True)
    with pytest.raises(DomainError) as person:
        onspot_check(party_kind="person", amount=Decimal("200.01"), warning_only=False)
    assert "第五十一条" in person.value.message and "200.00" in person.value.message
    with pytest.raises(DomainError):
        onspot_check(party_kind="organisation", amount=Decimal("3000.01"), warning_only=False)


def test_onspot_beyond_the_limit_is_refused_and_nothing_is_stored(personas: Any) -> None:
    with pytest.raises(DomainError) as refused:
        _onspot(personas, PERSON, "500.00")
    assert refused.value.code == "onspot_limit"
    assert Case.objects.count() == 0


@pytest.mark.slow
def test_onspot_decision_is_issued_signed_and_served_at_once(
    personas: Any, signing_keys: Any
) -> None:
    from nuanxin.documents.models import Document

    case = _onspot(personas, PERSON, "200.00")
    assert case.procedure == Case.Procedure.SIMPLE and case.status == CaseStatus.SERVED
    assert case.served_on == timezone.localdate() and case.payment_due is not None
    link = case.documents.get()
    document = Document.objects.get(pk=link.document_id)
    assert document.doc_type == "onspot_decision" and document.sealed
    assert [s["user_id"] for s in document.signers] == [
        personas.officer_a.pk,
        personas.officer_a2.pk,
    ]
    company = _onspot(personas, COMPANY, "3000.00")
    assert company.fine_amount == Decimal("3000.00")


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("officer_a", True),
        ("officer_a2", True),
        ("officer_b", False),
        ("reviewer", True),
        ("chief", True),
        ("dispatcher", True),
    ],
)
def test_access_case_by_persona(personas: Any, file_case: Any, who: str, sees: bool) -> None:
    case = file_case()
    user = getattr(personas, who)
    if sees:
        assert access_case(user, case.pk).pk == case.pk
    else:
        with pytest.raises(Http404):
            access_case(user, case.pk)


@pytest.mark.parametrize("who", ["merchant", "outsider", "operator_admin"])
def test_access_case_refuses_non_staff(personas: Any, file_case: Any, who: str) -> None:
    case = file_case()
    with pytest.raises(PermissionDenied):
        access_case(getattr(personas, who), case.pk)
