"""Heat-map aggregation of 1,000,000 positions: our H3 path beside a plain numpy grid.

uv run python bench/heatmap.py [--n 1000000] [--res 9] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from nuanxin.insight.h3agg import aggregate, cells_for, grid_baseline

# A res-9 H3 cell is ~0.105 km² (edge ~174 m); a 0.003° square at 33.85°N is ~0.093 km².
BASELINE_CELL_DEG = 0.003


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--res", type=int, default=9)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(42)
    # Clustered like a city: 60% around 40 hot spots, 40% uniform over the demo city.
    k = int(args.n * 0.6)
    hubs = np.column_stack([rng.uniform(33.80, 33.90, 40), rng.uniform(115.70, 115.86, 40)])
    pick = rng.integers(0, 40, k)
    lat = np.concatenate(
        [hubs[pick, 0] + rng.normal(0, 0.004, k), rng.uniform(33.80, 33.90, args.n - k)]
    )
    lng = np.concatenate(
        [hubs[pick, 1] + rng.normal(0, 0.004, k), rng.uniform(115.70, 115.86, args.n - k)]
    )
    t_h3, (cells, counts) = best_of(lambda: aggregate(lat, lng, args.res), args.repeat)
    t_pp, _ = best_of(
        lambda: np.unique(cells_for(lat, lng, args.res), return_counts=True), args.repeat
    )
    t_np, (keys, kcounts) = best_of(lambda: grid_baseline(lat, lng, BASELINE_CELL_DEG), args.repeat)
    assert counts.sum() == args.n and kcounts.sum() == args.n
    print(f"positions          {args.n:,}")
    print(
        f"h3 res {args.res} (ours)    {t_h3:.3f} s  {len(cells):,} cells  ({args.n / t_h3 / 1e6:.2f} M pos/s)"
    )
    print(f"h3 per point       {t_pp:.3f} s  (every position through h3, no lattice)")
    print(
        f"numpy grid 0.003°  {t_np:.3f} s  {len(keys):,} cells  ({args.n / t_np / 1e6:.2f} M pos/s)"
    )
    print(f"ratio h3/numpy     {t_h3 / t_np:.1f}x")
    print(f"target < 1 s       {'met' if t_h3 < 1.0 else 'MISSED'}")


if __name__ == "__main__":
    main()
