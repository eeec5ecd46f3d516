"""Dispatch's "nearest spot with room" candidates: our batched search against the per-notice
search it replaced, in one run.

    uv run python bench/dispatch.py [--notices 2000] [--spots 1890]

For each notice the dispatch plan needs the nearest spots within 2 km, nearest first, and
looks at them two dozen at a time (`notices.dispatch.ROOM_CANDIDATES`) until one has room.
  batched   SpotIndex.nearest_spots_many(…, at_least=24): every notice in one tree query,
            the radius doubling from 250 m only while it holds fewer than 24 spots
  per point the previous shape: per notice, every spot within the full 2 km, each distance
            computed, all sorted, turned into (index, metres) pairs
Both on the same synthetic city (bench/compliance.py's spots and points), one core; the
script checks that both give the same first 24 candidates before printing any figure.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import shapely  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from compliance import make_points, make_spots  # noqa: E402  # bench/compliance.py

from nuanxin.compliance.engine import SpotIndex  # noqa: E402

LIMIT_M = 2000.0  # notices.dispatch.ROOM_SEARCH_M
WINDOW = 24  # notices.dispatch.ROOM_CANDIDATES


def per_point(index: SpotIndex, lat: float, lng: float) -> list[tuple[int, float]]:
    x, y = index.projection.to_xy(lat, lng)
    point = shapely.Point(float(x), float(y))
    near = index.tree.query(point, predicate="dwithin", distance=LIMIT_M)
    d = shapely.distance(index.polygons_xy[near], point)
    order = np.lexsort((near, d))
    return [(int(near[i]), float(d[i])) for i in order]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notices", type=int, default=2000)
    parser.add_argument("--spots", type=int, default=1890)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(3)
    spots = make_spots(args.spots, rng)
    lat, lng, _acc = make_points(spots, args.notices, rng)
    index = SpotIndex(spots)
    index.tree  # built before timing  # noqa: B018

    def batched() -> list[list[tuple[int, float]]]:
        found = index.nearest_spots_many(lat, lng, limit_m=LIMIT_M, at_least=WINDOW)
        return [
            list(zip(n.spots[:WINDOW].tolist(), n.distances[:WINDOW].tolist(), strict=True))
            for n in found
        ]

    def one_by_one() -> list[list[tuple[int, float]]]:
        return [per_point(index, a, b)[:WINDOW] for a, b in zip(lat, lng, strict=True)]

    ours, theirs = batched(), one_by_one()
    assert ours == theirs, "the two searches disagree on the first candidates"
    times: dict[str, list[float]] = {"batched": [], "per point": []}
    for _ in range(args.repeat):  # alternated, so that the machine's drift hits both
        for name, run in (("batched", batched), ("per point", one_by_one)):
            t0 = time.process_time()
            run()
            times[name].append(time.process_time() - t0)
    best = {name: min(t) for name, t in times.items()}
    print(
        f"spots {args.spots:,}, notices {args.notices:,}, first {WINDOW} spots within {LIMIT_M:.0f} m"
    )
    for name, seconds in best.items():
        print(
            f"{name:9}: {seconds / args.notices * 1e6:8.1f} µs per notice (best of {args.repeat})"
        )
    print(f"batched / per point = {best['per point'] / best['batched']:.1f}× faster")


if __name__ == "__main__":
    main()
