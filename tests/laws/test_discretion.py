from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from nuanxin.core.errors import DomainError
from nuanxin.laws.discretion import discretion_propose
from nuanxin.laws.selectors import tag_get


def test_first_offence_corrected_promptly_is_not_punished(catalogue: Any) -> None:
    p = discretion_propose(
        tag=tag_get("open_air_bbq"),
        party_kind="person",
        facts={"prior_count_in_window": 0, "corrected_promptly": True, "harm": "minor"},
    )
    assert p.level == "none"
    assert p.amount == Decimal("0.00")
    assert "第三十三条" in p.reasons[0]
    assert p.catalogue_version == catalogue.version


def test_first_offence_not_corrected_is_lighter(catalogue: Any) -> None:
    p = discretion_propose(
        tag=tag_get("open_air_bbq"), party_kind="person", facts={"corrected_promptly": False}
    )
    assert p.level == "lighter"
    assert (p.amount_min, p.amount_max, p.amount) == (
        Decimal("500.00"), Decimal("2000.00"), Decimal("500.00"),
    )  # fmt: skip
    assert any("《中华人民共和国大气污染防治法》第一百一十八条" in r for r in p.reasons)


def test_one_prior_is_general(catalogue: Any) -> None:
    p = discretion_propose(
        tag=tag_get("open_air_bbq"), party_kind="person", facts={"prior_count_in_window": 1}
    )
    assert p.level == "general"
    assert p.amount_min <= p.amount <= p.amount_max


def test_repeat_or_serious_harm_is_heavier(catalogue: Any) -> None:
    tag = tag_get("open_air_bbq")
    assert (
        discretion_propose(tag=tag, party_kind="person", facts={"prior_count_in_window": 2}).level
        == "heavier"
    )
    p = discretion_propose(tag=tag, party_kind="person", facts={"harm": "serious"})
    assert p.level == "heavier"
    assert p.amount_max == Decimal("20000.00")


def test_area_selects_the_level_for_road_occupation(catalogue: Any) -> None:
    tag = tag_get("road_occupation")
    small = discretion_propose(
        tag=tag, party_kind="person", facts={"prior_count_in_window": 1, "area_m2": 3}
    )
    big = discretion_propose(
        tag=tag, party_kind="person", facts={"prior_count_in_window": 1, "area_m2": 30}
    )
    assert small.level == "lighter"
    assert big.level == "heavier"


def test_amounts_stay_in_the_range_for_the_party_kind(catalogue: Any) -> None:
    tag = tag_get("burning_garbage")
    person = discretion_propose(tag=tag, party_kind="person", facts={"harm": "serious"})
    org = discretion_propose(tag=tag, party_kind="organisation", facts={"prior_count_in_window": 1})
    assert Decimal("500") <= person.amount_min <= person.amount_max <= Decimal("2000")
    assert Decimal("10000") <= org.amount_min <= org.amount <= org.amount_max <= Decimal("100000")


def test_bad_facts_are_refused(catalogue: Any) -> None:
    with pytest.raises(DomainError) as exc:
        discretion_propose(tag=tag_get("open_air_bbq"), party_kind="person", facts={"harm": "huge"})
    assert exc.value.code == "facts_invalid"
