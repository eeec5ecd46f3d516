from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from nuanxin.cases.services import case_propose
from nuanxin.cases.services.common import PartyInfo
from nuanxin.core.errors import DomainError

CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "law" / "catalogue.yaml"


@pytest.fixture
def catalogue(db: Any) -> Any:
    from nuanxin.laws.loader import catalogue_load

    return catalogue_load(path=CATALOGUE).catalogue


def test_proposal_comes_from_the_discretion_standard(
    personas: Any, catalogue: Any, file_case: Any
) -> None:
    person = PartyInfo(kind="person", name="李四")
    proposal = case_propose(
        tag_code="open_air_bbq", party=person, facts={"prior_count_in_window": 1}
    )
    assert proposal.catalogue_version == catalogue.version
    assert proposal.level == "general"
    assert proposal.amount_min is not None and proposal.amount >= proposal.amount_min
    assert proposal.articles_violated and all(a["text"] for a in proposal.articles_penalty)
    assert "大气污染防治法" in proposal.articles_penalty[0]["citation"]
    case = file_case(party=person, proposal=proposal)
    assert case.catalogue_version == catalogue.version and not case.departure_flagged
    assert case.fine_amount == proposal.amount and case.party.kind == "person"
    departed = file_case(
        party=person,
        proposal=proposal,
        fine_amount=proposal.amount + Decimal("100"),
        departure_reason="当事人烧烤规模较大，油烟影响周边居民。",
    )
    assert departed.departure_flagged


def test_unknown_tag_is_refused(personas: Any, catalogue: Any) -> None:
    with pytest.raises(DomainError):
        case_propose(tag_code="no_such_tag", party=personas.merchant_shop)
