import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from nuanxin.audit.models import AuditEvent
from nuanxin.core.errors import DomainError
from nuanxin.credit.models import CreditEvent, CreditScore, CreditState
from nuanxin.credit.rules import rules_current
from nuanxin.credit.services import (
    credit_event_record,
    credit_recompute,
    merchant_score_compute,
)


def _now() -> dt.datetime:
    return timezone.now()


def test_an_event_is_stored_scored_and_audited(personas) -> None:
    shop = personas.merchant_shop
    source = personas.officer_a  # any model works as a source
    event = credit_event_record(
        merchant=shop,
        kind="complaint_substantiated",
        source=source,
        occurred_at=_now(),
        by=personas.officer_a,
    )
    assert event.source_type == "accounts.user"
    assert event.source_id == str(source.pk)
    state = CreditState.objects.get(merchant=shop)
    rules = rules_current()
    assert state.score == rules.base_score - 5
    history = CreditScore.objects.get(merchant=shop)
    assert history.trigger == event
    assert any(line["points"] == "-5" for line in history.breakdown)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"credit.event_record", "credit.score_change"} <= actions


def test_a_retried_call_adds_nothing(personas) -> None:
    shop = personas.merchant_shop
    kwargs = dict(
        merchant=shop,
        kind="warning",
        source=personas.officer_b,
        occurred_at=_now(),
        by=personas.officer_a,
    )
    first = credit_event_record(**kwargs)
    again = credit_event_record(**kwargs)
    assert first.pk == again.pk
    assert CreditEvent.objects.count() == 1
    assert CreditScore.objects.count() == 1
    assert AuditEvent.objects.filter(action="credit.event_record").count() == 1


def test_an_unknown_kind_is_refused_and_nothing_is_stored(personas) -> None:
    with pytest.raises(DomainError) as info:
        credit_event_record(
            merchant=personas.merchant_shop,
            kind="bribery",
            source=None,
            occurred_at=_now(),
            by=personas.officer_a,
        )
    assert info.value.code == "credit_kind_unknown"
    assert CreditEvent.objects.count() == 0


@pytest.mark.parametrize("stars", [0, 6, None, Decimal("3.5")])
def test_a_rating_needs_one_to_five_stars(personas, stars) -> None:
    with pytest.raises(DomainError):
        credit_event_record(
            merchant=personas.merchant_shop,
            kind="rating",
            source=None,
            occurred_at=_now(),
            by=None,
            value=stars,
        )


def test_ratings_score_by_stars_and_are_capped(personas) -> None:
    shop = personas.merchant_shop
    rules = rules_current()
    cap = rules.kinds["rating"].cap_max
    assert cap is not None
    for i in range(int(cap) + 4):
        credit_event_record(
            merchant=shop,
            kind="rating",
            source=None,
            occurred_at=_now() - dt.timedelta(minutes=i),
            by=None,
            value=5,
        )
    state = CreditState.objects.get(merchant=shop)
    assert state.score == min(rules.base_score + cap, rules.max_score)
    result = merchant_score_compute(merchant=shop)
    assert any("封顶" in line.text for line in result.lines)


def test_no_history_row_when_the_score_does_not_change(personas) -> None:
    shop = personas.merchant_shop
    credit_event_record(
        merchant=shop, kind="complaint_unfounded", source=None, occurred_at=_now(), by=None
    )
    credit_event_record(
        merchant=shop,
        kind="complaint_unfounded",
        source=personas.outsider,
        occurred_at=_now(),
        by=None,
    )
    assert CreditScore.objects.count() == 1  # the first score only
    assert CreditEvent.objects.count() == 2


def test_events_outside_their_window_do_not_count(personas) -> None:
    shop = personas.merchant_shop
    rules = rules_current()
    window = rules.kinds["complaint_substantiated"].window_days
    credit_event_record(
        merchant=shop,
        kind="complaint_substantiated",
        source=None,
        occurred_at=_now() - dt.timedelta(days=window + 1),
        by=None,
    )
    assert CreditState.objects.get(merchant=shop).score == rules.base_score


def test_every_point_is_explained(personas) -> None:
    shop = personas.merchant_shop
    credit_event_record(
        merchant=shop,
        kind="penalty",
        source=personas.officer_a,
        occurred_at=timezone.make_aware(dt.datetime(2026, 11, 1, 10, 0)),
        by=personas.officer_a,
    )
    latest = CreditScore.objects.get(merchant=shop)
    total = sum(Decimal(line["points"]) for line in latest.breakdown)
    assert total == latest.score
    penalty_line = next(line for line in latest.breakdown if line["kind"] == "penalty")
    assert penalty_line["text"].startswith("−15: 行政处罚 #")
    assert "2026-11-01" in penalty_line["text"]


def test_recompute_gives_the_same_result_as_incremental_updates(personas) -> None:
    shop = personas.merchant_shop
    now = _now()
    plan = [
        ("rating", 1),
        ("rating", 5),
        ("rating", 2),
        ("complaint_substantiated", None),
        ("education", None),
        ("warning", None),
        ("inspection_pass", None),
        ("inspection_fail", None),
        ("rating", 4),
        ("penalty", None),
    ]
    for i, (kind, value) in enumerate(plan):
        credit_event_record(
            merchant=shop,
            kind=kind,
            source=None,
            occurred_at=now - dt.timedelta(days=i * 20),
            by=None,
            value=value,
        )
    incremental = CreditState.objects.get(merchant=shop)
    history_rows = CreditScore.objects.count()
    CreditState.objects.all().delete()
    recomputed = credit_recompute(merchant=shop, by=personas.admin)
    assert (recomputed.score, recomputed.level) == (incremental.score, incremental.level)
    # A second recompute with nothing new changes nothing.
    credit_recompute(merchant=shop, by=personas.admin)
    assert CreditScore.objects.count() == history_rows + 1


def test_a_naive_time_is_refused(personas) -> None:
    with pytest.raises(DomainError):
        credit_event_record(
            merchant=personas.merchant_shop,
            kind="education",
            source=None,
            occurred_at=dt.datetime(2026, 1, 1),
            by=None,
        )


def test_the_daily_job_drops_events_that_left_their_window(personas) -> None:
    from nuanxin.credit.jobs import credit_daily_refresh

    shop = personas.merchant_shop
    rules = rules_current()
    window = rules.kinds["warning"].window_days
    credit_event_record(
        merchant=shop,
        kind="warning",
        source=None,
        occurred_at=_now() - dt.timedelta(days=window - 1),
        by=None,
    )
    assert CreditState.objects.get(merchant=shop).score == rules.base_score - 5
    later = _now() + dt.timedelta(days=2)
    CreditState.objects.update(updated_at=_now() - dt.timedelta(days=2))
    assert credit_daily_refresh(later) == 1
    assert CreditState.objects.get(merchant=shop).score == rules.base_score
    assert credit_daily_refresh(later) == 0  # claimed rows are fresh now
