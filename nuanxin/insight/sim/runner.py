"""Turn a validated config into simulator parameters and run replications (pure)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nuanxin.insight.sim.engine import City, Rebalancing, RideModel, SimParams, SimResult, simulate


def params_from_config(config: dict[str, Any], *, fleet: int, seed: int) -> SimParams:
    ride = RideModel(**config["ride"])
    reb = Rebalancing(**config.get("rebalancing", {}))
    return SimParams(
        fleet=fleet,
        duration_min=float(config["duration_hours"]) * 60.0,
        walk_radius_m=float(config["walk_radius_m"]),
        full_policy=config.get("full_policy", "nearest"),
        ride=ride,
        rebalancing=reb,
        seed=seed,
    )


def run_replications(
    city: City, config: dict[str, Any], *, fleet: int, seeds: int | None = None
) -> list[SimResult]:
    n = seeds or int(config["seeds"])
    # Seeds 1..n for every fleet size: common random numbers make sizes comparable.
    return [
        simulate(city, params_from_config(config, fleet=fleet, seed=s)) for s in range(1, n + 1)
    ]


def mean_summary(results: list[SimResult]) -> dict[str, Any]:
    keys = ["served_share", "problematic_share", "empty_share", "full_share"]
    out: dict[str, Any] = {k: float(np.mean([getattr(r, k) for r in results])) for k in keys}
    served = [r.served_share for r in results]
    out["served_share_sd"] = float(np.std(served, ddof=1)) if len(served) > 1 else 0.0
    out["idle_bikes"] = float(np.mean([r.idle_bikes for r in results]))
    out["requested"] = float(np.mean([r.requested for r in results]))
    out["bikes_per_spot"] = results[0].bikes_per_spot
    out["fleet"] = results[0].fleet
    return out
