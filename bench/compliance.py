"""Parking-compliance checks per second: our grid-indexed numpy engine against baselines.

    uv run python bench/compliance.py [--points 2000000] [--spots 1890]
    pg_virtualenv -v 15 uv run python bench/compliance.py   # adds PostGIS ST_Contains

One run, same spots and points for every contender:
  engine   nuanxin.compliance.engine.SpotIndex.check — full classification (distance to the
           nearest spot, accuracy, tolerance, rule), one core (BLAS/OpenMP threads = 1)
  naive    per point, a Python loop over every polygon with shapely distance (the MDS
           reference engine's shape: no spatial index) — timed on a sample
  polygon  per polygon, vectorised shapely.contains_xy over all points (a loop over polygons)
  strtree  shapely STRtree bulk query (predicate "intersects"), containment only
  postgis  ST_Contains join with a GiST index on the same data, when PGHOST points at a
           server with PostGIS (run under pg_virtualenv) — containment only
Checks that everyone agrees on containment before printing any figure.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import shapely  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from nuanxin.compliance.engine import EngineConfig, SpotIndex, naive_check  # noqa: E402

LAT0, LNG0 = 33.85, 115.78


class Spot:
    def __init__(self, i: int, polygon: dict, lat: float, lng: float, capacity: int) -> None:
        self.spot_id = i
        self.polygon = polygon
        self.center_lat = lat
        self.center_lng = lng
        self.capacity = capacity
        self.beacon_ids: tuple[str, ...] = ()


def make_spots(n: int, rng: np.random.Generator) -> list[Spot]:
    """Rectangles and irregular 5–8-gons, 3–15 m across, over a 15 × 11 km city."""
    spots = []
    k_lat = 1 / 111_195.0
    k_lng = k_lat / math.cos(math.radians(LAT0))
    for i in range(n):
        lat = LAT0 + rng.uniform(-0.05, 0.05)
        lng = LNG0 + rng.uniform(-0.08, 0.08)
        if i % 3:
            w, h = rng.uniform(3, 15), rng.uniform(1.5, 4)
            ring = [(-w, -h), (w, -h), (w, h), (-w, h)]
        else:
            m = int(rng.integers(5, 9))
            angles = np.sort(rng.uniform(0, 2 * math.pi, m))
            radii = rng.uniform(3, 8, m)
            ring = [(r * math.cos(a), r * math.sin(a)) for a, r in zip(angles, radii, strict=True)]
        coords = [[lng + x * k_lng, lat + y * k_lat] for x, y in ring]
        coords.append(coords[0])
        spots.append(Spot(i, {"type": "Polygon", "coordinates": [coords]}, lat, lng, 20))
    return spots


def make_points(spots: list[Spot], n: int, rng: np.random.Generator):  # type: ignore[no-untyped-def]
    """60 % near a spot (inside or within ~15 m), 40 % anywhere in the city."""
    near = int(n * 0.6)
    idx = rng.integers(0, len(spots), near)
    clat = np.array([s.center_lat for s in spots])[idx]
    clng = np.array([s.center_lng for s in spots])[idx]
    lat = np.concatenate(
        [clat + rng.normal(0, 6e-5, near), LAT0 + rng.uniform(-0.05, 0.05, n - near)]
    )
    lng = np.concatenate(
        [clng + rng.normal(0, 8e-5, near), LNG0 + rng.uniform(-0.08, 0.08, n - near)]
    )
    acc = rng.uniform(0, 15, n)
    return lat, lng, acc


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>14,.0f} checks/s"


def postgis(
    spots: list[Spot], lat: np.ndarray, lng: np.ndarray, inside: np.ndarray
) -> float | None:
    if not os.environ.get("PGHOST"):
        print("postgis  : skipped (PGHOST not set; run under pg_virtualenv with PostGIS installed)")
        return None
    import psycopg

    try:
        conn = psycopg.connect(autocommit=True)
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except Exception as exc:  # report and go on without the peer
        print(f"postgis  : skipped ({type(exc).__name__}: {str(exc).strip()[:120]})")
        return None
    import json

    conn.execute("DROP TABLE IF EXISTS nx_spots, nx_points")
    conn.execute("CREATE TABLE nx_spots (id int primary key, geom geometry(Polygon, 4326))")
    conn.execute("CREATE TABLE nx_points (id int primary key, geom geometry(Point, 4326))")
    with conn.cursor().copy("COPY nx_spots (id, geom) FROM STDIN") as copy:
        for s in spots:
            copy.write_row(
                (
                    s.spot_id,
                    f"SRID=4326;{shapely.to_wkt(shapely.from_geojson(json.dumps(s.polygon)), rounding_precision=-1)}",
                )
            )
    with conn.cursor().copy("COPY nx_points (id, geom) FROM STDIN") as copy:
        for i in range(len(lat)):
            copy.write_row((i, f"SRID=4326;POINT({float(lng[i])!r} {float(lat[i])!r})"))
    conn.execute("CREATE INDEX ON nx_spots USING gist (geom)")
    conn.execute("ANALYZE nx_spots")
    conn.execute("ANALYZE nx_points")
    conn.execute("SET max_parallel_workers_per_gather = 0")  # one core, like ours
    sql = (
        "SELECT p.id FROM nx_points p WHERE EXISTS "
        "(SELECT 1 FROM nx_spots s WHERE ST_Contains(s.geom, p.geom))"
    )
    conn.execute(sql).fetchall()  # warm the cache
    t = time.perf_counter()
    rows = conn.execute(sql).fetchall()
    dt = time.perf_counter() - t
    got = np.zeros(len(lat), dtype=bool)
    got[[r[0] for r in rows]] = True
    disagree = int((got != inside).sum())
    print(
        f"postgis  : {rate(len(lat), dt)}  (ST_Contains + GiST, {len(lat):,} points, {disagree} disagreements)"
    )
    conn.execute("DROP TABLE nx_spots, nx_points")
    return len(lat) / dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=2_000_000)
    ap.add_argument("--spots", type=int, default=1890)
    ap.add_argument("--naive-sample", type=int, default=300)
    ap.add_argument("--postgis-points", type=int, default=200_000)
    args = ap.parse_args()
    rng = np.random.default_rng(20261128)
    spots = make_spots(args.spots, rng)
    lat, lng, acc = make_points(spots, args.points, rng)
    cfg = EngineConfig()

    t = time.perf_counter()
    index = SpotIndex(spots)
    build = time.perf_counter() - t
    index.check(lat[:10_000], lng[:10_000], acc[:10_000], cfg)  # warm-up
    best = math.inf
    for _ in range(3):
        t = time.perf_counter()
        res = index.check(lat, lng, acc, cfg)
        best = min(best, time.perf_counter() - t)
    ours = args.points / best
    counts = np.bincount(res.verdict, minlength=3)
    print(f"spots {args.spots:,}, points {args.points:,}; index built in {build * 1000:.0f} ms")
    print(
        f"engine   : {rate(args.points, best)}  (in {counts[0]:,} / outside {counts[1]:,} / uncertain {counts[2]:,}; best of 3)"
    )

    inside = res.distance_m == 0.0
    # naive: per point, every polygon (sampled)
    m = args.naive_sample
    t = time.perf_counter()
    naive = [naive_check(index, float(lat[i]), float(lng[i]), float(acc[i]), cfg) for i in range(m)]
    dt_naive = time.perf_counter() - t
    mismatches = sum(
        1
        for i, r in enumerate(naive)
        if r[0] != ("in_spot", "outside", "uncertain")[res.verdict[i]]
    )
    assert mismatches == 0, f"engine and naive disagree on {mismatches} of {m}"
    print(
        f"naive    : {rate(m, dt_naive)}  (per point × {args.spots} polygons, sample of {m}, 0 disagreements)"
    )

    x, y = index.projection.to_xy(lat, lng)
    sub = min(args.points, 200_000)
    t = time.perf_counter()
    hit = np.zeros(sub, dtype=bool)
    for poly in index.polygons_xy:
        hit |= shapely.contains_xy(poly, x[:sub], y[:sub])
    dt_poly = time.perf_counter() - t
    edge = np.abs(res.distance_m[:sub]) < 1e-6  # points exactly on a boundary: shapely says no
    assert int(((hit != inside[:sub]) & ~edge).sum()) == 0
    print(
        f"polygon  : {rate(sub, dt_poly)}  (loop over polygons, vectorised contains_xy, {sub:,} points)"
    )

    tree = shapely.STRtree(index.polygons_xy)
    t = time.perf_counter()
    pts = shapely.points(x, y)
    pi, _si = tree.query(pts, predicate="intersects")
    dt_tree = time.perf_counter() - t
    tree_hit = np.zeros(args.points, dtype=bool)
    tree_hit[pi] = True
    assert int((tree_hit != inside).sum()) == 0
    print(
        f"strtree  : {rate(args.points, dt_tree)}  (shapely STRtree bulk query, containment only)"
    )

    n_pg = min(args.points, args.postgis_points)
    pg = postgis(spots, lat[:n_pg], lng[:n_pg], inside[:n_pg])
    print()
    print(f"engine / naive   = {ours / (m / dt_naive):,.0f}×")
    print(f"engine / polygon = {ours / (sub / dt_poly):,.1f}×")
    print(f"engine / strtree = {ours / (args.points / dt_tree):,.1f}×")
    if pg:
        print(f"engine / postgis = {ours / pg:,.1f}×  (target ≥ 20×)")
    print(f"target ≥ 1,000,000 checks/s on one core: {'met' if ours >= 1_000_000 else 'NOT met'}")


if __name__ == "__main__":
    main()
