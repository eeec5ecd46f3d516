"""One simulated day: 1,890 spots, 20,000 bikes, ~150,000 trips (target < 10 s).

    uv run python bench/simulate.py [--spots 1890] [--bikes 20000] [--trips 150000]

Baseline in the same run: a naive simulator that keeps *every* event (arrivals included) in
one heapq and samples destinations with rng.choice per trip — what one writes first.
"""

from __future__ import annotations

import argparse
import heapq
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from nuanxin.insight.sim.demand import gravity
from nuanxin.insight.sim.engine import Rebalancing, SimParams, initial_occupancy, simulate

PROFILE = [0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 2.5, 6.0, 8.5, 5.5, 4.5, 5.0,
           6.0, 5.5, 5.0, 5.0, 5.5, 7.5, 8.5, 6.0, 4.5, 3.5, 2.5, 1.2]  # fmt: skip


def naive(city, fleet: int, seed: int, limit: int) -> tuple[int, int]:
    """All events in one heap, destination via rng.choice per trip; no walking, no reroute."""
    rng = np.random.default_rng(seed)
    occ = initial_occupancy(city.capacity, fleet).tolist()
    w = city.dest_weight / city.dest_weight.sum(axis=1, keepdims=True)
    heap: list = []
    for h in range(24):
        for i, k in enumerate(rng.poisson(city.origin_rate[h]).tolist()):
            for t in (h * 60 + rng.random(k) * 60).tolist():
                heapq.heappush(heap, (t, 0, i))
    served = requested = 0
    while heap and requested < limit:
        t, kind, i = heapq.heappop(heap)
        if kind == 1:
            occ[i] += 1
            continue
        requested += 1
        if occ[i] > 0:
            occ[i] -= 1
            served += 1
            j = int(rng.choice(len(occ), p=w[i]))
            heapq.heappush(heap, (t + 12.0, 1, j))
    return requested, served


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spots", type=int, default=1890)
    ap.add_argument("--bikes", type=int, default=20000)
    ap.add_argument("--trips", type=int, default=150000)
    ap.add_argument("--baseline-trips", type=int, default=15000, help="naive run is extrapolated")
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    lat = rng.uniform(33.80, 33.90, args.spots)
    lng = rng.uniform(115.70, 115.86, args.spots)
    cap = rng.integers(8, 30, args.spots)
    t0 = time.perf_counter()
    demand = gravity(
        lat=lat, lng=lng, capacity=cap, daily_trips=args.trips, hourly_profile=PROFILE, scale_m=1500
    )
    t_build = time.perf_counter() - t0
    params = SimParams(
        fleet=args.bikes,
        walk_radius_m=300,
        rebalancing=Rebalancing(interval_min=120, trucks=12, truck_capacity=20),
    )
    t0 = time.perf_counter()
    r = simulate(demand.city, params)
    t_sim = time.perf_counter() - t0
    t0 = time.perf_counter()
    req, _served = naive(demand.city, args.bikes, 1, args.baseline_trips)
    t_naive = (time.perf_counter() - t0) * r.requested / max(req, 1)
    print(f"spots {args.spots:,}  bikes {r.fleet:,}  trips requested {r.requested:,}")
    print(f"demand model build       {t_build:.2f} s")
    print(f"ours: one day            {t_sim:.2f} s  ({r.requested / t_sim:,.0f} trips/s)")
    print(f"naive heap (extrapolated {req:,}→{r.requested:,} trips) {t_naive:.2f} s")
    print(f"ratio naive/ours         {t_naive / t_sim:.1f}x")
    print(
        f"served {r.served_share:.3f}  problematic {r.problematic_share:.3f}  idle {r.idle_bikes}"
    )
    print(f"target < 10 s            {'met' if t_sim + t_build < 10 else 'MISSED'}")


if __name__ == "__main__":
    main()
