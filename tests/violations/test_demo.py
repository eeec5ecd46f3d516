from __future__ import annotations

import random
from typing import Any

import pytest

from nuanxin.core.demo import DemoContext


@pytest.mark.slow
def test_demo_history_is_deterministic_and_idempotent(db: Any) -> None:
    from nuanxin.core.demo import run_seeders
    from nuanxin.violations.models import Education, Violation, Warning

    ctx = DemoContext(rng=random.Random(7), scale=0.02)
    run_seeders(ctx, only=["orgs", "accounts", "merchants", "laws", "violations"])
    first = list(Violation.objects.order_by("pk").values_list("tag_code", "outcome", "prior_count"))
    assert Education.objects.exists()
    assert Warning.objects.exists() or Violation.objects.filter(outcome="warning").exists()
    run_seeders(DemoContext(rng=random.Random(7), scale=0.02), only=["laws", "violations"])
    assert (
        list(Violation.objects.order_by("pk").values_list("tag_code", "outcome", "prior_count"))
        == first
    )
