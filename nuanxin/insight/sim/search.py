"""Smallest fleet meeting a service level: bisection over seeded replications (pure)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nuanxin.insight.sim.engine import City
from nuanxin.insight.sim.runner import mean_summary, run_replications


@dataclass
class SearchResult:
    target: float
    met: bool
    fleet: int  # the smallest fleet meeting the target, or the best found when not met
    achieved: float
    evaluations: list[dict[str, Any]] = field(default_factory=list)

    def best(self) -> dict[str, Any]:
        return next(e for e in self.evaluations if e["fleet"] == self.fleet)


def fleet_search(
    city: City,
    config: dict[str, Any],
    *,
    target: float,
    progress: Callable[[int, dict[str, Any]], None] | None = None,
) -> SearchResult:
    """Served share grows with the fleet (up to noise; the same seeds are reused for every
    size, so the comparison between sizes is paired). Bisection on [min_fleet, max_fleet]."""
    lo = int(config["search"]["min_fleet"])
    hi = int(config["search"]["max_fleet"])
    tol = int(config["search"].get("tolerance", max(1, (hi - lo) // 100)))
    evals: dict[int, dict[str, Any]] = {}

    def evaluate(fleet: int) -> float:
        if fleet not in evals:
            summary = mean_summary(run_replications(city, config, fleet=fleet))
            evals[fleet] = summary
            if progress:
                progress(fleet, summary)
        return float(evals[fleet]["served_share"])

    def done(met: bool, fleet: int) -> SearchResult:
        rows = [evals[k] for k in sorted(evals)]
        return SearchResult(target, met, fleet, float(evals[fleet]["served_share"]), rows)

    if evaluate(hi) < target:
        # Cannot be met within the bracket: report the best found (ties → fewer bikes).
        best = max(evals, key=lambda f: (evals[f]["served_share"], -f))
        return done(False, best)
    if evaluate(lo) >= target:
        return done(True, lo)
    while hi - lo > tol:
        mid = (lo + hi) // 2
        if evaluate(mid) >= target:
            hi = mid
        else:
            lo = mid
    return done(True, hi)


def expected_steps(config: dict[str, Any]) -> int:
    lo, hi = config["search"]["min_fleet"], config["search"]["max_fleet"]
    tol = config["search"].get("tolerance", max(1, (hi - lo) // 100))
    return 2 + max(0, math.ceil(math.log2(max(hi - lo, 1) / tol)))


def split_by_weight(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Largest-remainder split of `total` bikes in proportion to `weights`."""
    if not weights:
        return {}
    positive = {k: max(float(w), 0.0) for k, w in weights.items()}
    s = sum(positive.values())
    if s <= 0:
        positive = dict.fromkeys(weights, 1.0)
        s = float(len(weights))
    raw = {k: total * w / s for k, w in positive.items()}
    out = {k: math.floor(v) for k, v in raw.items()}
    rest = total - sum(out.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), k))[:rest]:
        out[k] += 1
    return out
