import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from nuanxin.credit.rules import RulesError, rules_current, rules_parse, score_compute


@dataclass
class Ev:
    pk: int
    kind: str
    occurred_at: dt.datetime
    value: Decimal | None = None
    source_label: str = ""


def test_the_shipped_rules_load_with_version_and_levels() -> None:
    rules = rules_current()
    assert rules.version and rules.effective_from <= dt.date(2026, 12, 31)
    assert [level.level for level in rules.levels] == ["A", "B", "C", "D"]
    for kind in (
        "rating",
        "complaint_substantiated",
        "education",
        "warning",
        "penalty",
        "inspection_pass",
        "inspection_fail",
    ):
        assert kind in rules.kinds


def test_a_malformed_rules_file_is_refused_clearly() -> None:
    with pytest.raises(RulesError):
        rules_parse({"version": "x", "effective_from": "2026-01-01", "levels": []})
    with pytest.raises(RulesError, match=r"kinds\.rating"):
        rules_parse(
            {
                "version": "x",
                "effective_from": "2026-01-01",
                "base_score": 80,
                "levels": [{"level": "A", "min": 0, "label": "a"}],
                "kinds": {"rating": {"label": "r"}},
            }
        )


def test_levels_follow_thresholds_and_score_is_clamped() -> None:
    rules = rules_current()
    now = timezone.now()
    events = [Ev(i, "penalty", now - dt.timedelta(days=i + 1)) for i in range(10)]
    result = score_compute(rules=rules, events=events, as_of=now)
    penalty = rules.kinds["penalty"]
    assert penalty.cap_min is not None
    assert result.score == max(rules.base_score + penalty.cap_min, rules.min_score)
    assert result.level == rules.level_for(result.score)
    assert sum(line.points for line in result.lines) == result.score


def test_score_depends_only_on_events_and_time() -> None:
    rules = rules_current()
    now = timezone.now()
    events = [Ev(1, "warning", now - dt.timedelta(days=10), source_label="#W1")]
    assert score_compute(rules=rules, events=events, as_of=now).score == rules.base_score - 5
    later = now + dt.timedelta(days=rules.kinds["warning"].window_days)
    assert score_compute(rules=rules, events=events, as_of=later).score == rules.base_score
    line = score_compute(rules=rules, events=events, as_of=now).lines[1]
    assert line.text.startswith("−5: 二次告诫 #W1 于 ")
