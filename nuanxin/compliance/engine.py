"""The parking-compliance engine: pure numpy (+ shapely to build), no ORM in the hot path.

Every parked bike is checked against the spots in force at its observation time.

The rule (documented in docs/architecture/bikes-loop.md; `tol` is the configured tolerance,
default 1 m, Chaoyang's rule; `acc` is MDS `horizontal_accuracy` in metres; `d` is the
distance in metres from the reported position to the nearest spot polygon, computed in a
local equirectangular projection, 0 when inside):

    d ≤ tol                                   → in_spot   (rule "inside" / "within_tolerance")
    a beacon of spot S was heard and
      d_S ≤ acc + tol + beacon_range          → in_spot   (rule "beacon_confirmed")
    d > acc + tol                             → outside   (rule "beyond_error" / "no_spot_nearby")
    otherwise (tol < d ≤ acc + tol)           → uncertain (rule "within_error", or
                                                "within_error_no_beacon" when the spot has
                                                beacons and none was heard)
    acc + tol ≥ search radius, nothing near   → uncertain (rule "poor_accuracy")

"uncertain" never leads to a penalty: the case is held and the operator is asked to confirm.

Speed: spots are projected once to metres and bucketed in a uniform grid (cell = 25 m);
each cell lists the spots whose bounding box, grown by the search radius, touches it. A batch
of points is then checked in a few numpy passes: cell lookup, candidate pairs, crossing-number
point-in-polygon and point-to-segment distance over all edges of the candidates at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np
import shapely

from nuanxin.lib.coords import LocalProjection

IN_SPOT, OUTSIDE, UNCERTAIN = 0, 1, 2
VERDICTS = ("in_spot", "outside", "uncertain")
RULES = (
    "inside",
    "within_tolerance",
    "beacon_confirmed",
    "beyond_error",
    "no_spot_nearby",
    "within_error",
    "within_error_no_beacon",
    "poor_accuracy",
)
_R = {name: i for i, name in enumerate(RULES)}

CELL_M = 25.0
SEARCH_M = 50.0
CHUNK = 262_144  # points per numpy pass: keeps the pair arrays in cache-friendly sizes


@dataclass(frozen=True)
class EngineConfig:
    tolerance_m: float = 1.0
    missing_accuracy_m: float = 0.0
    beacon_range_m: float = 5.0
    search_m: float = SEARCH_M


@dataclass
class CheckResults:
    """Column arrays, one entry per input point."""

    verdict: np.ndarray  # int8: IN_SPOT / OUTSIDE / UNCERTAIN
    rule: np.ndarray  # int8 index into RULES
    spot: np.ndarray  # int32 index into SpotIndex.spots, -1 when none within the search radius
    distance_m: np.ndarray  # float64, inf when none within the search radius
    accuracy_m: np.ndarray  # the accuracy used (missing → config.missing_accuracy_m)
    beacon_spot: np.ndarray  # int32, spot confirmed by a beacon, -1 otherwise

    def __len__(self) -> int:
        return len(self.verdict)


def _rings(polygon: dict) -> list[list[list[float]]]:
    if polygon.get("type") != "Polygon":
        raise ValueError(f"spot geometry must be a GeoJSON Polygon, got {polygon.get('type')!r}")
    return polygon["coordinates"]


class SpotIndex:
    """The spots in force over one interval, ready for vectorised checks."""

    def __init__(self, spots: Sequence, *, cell_m: float = CELL_M, search_m: float = SEARCH_M):
        self.spots = list(spots)
        self.cell_m = cell_m
        self.search_m = search_m
        n = len(self.spots)
        if n:
            lat0 = float(np.mean([s.center_lat for s in self.spots]))
            lng0 = float(np.mean([s.center_lng for s in self.spots]))
        else:
            lat0, lng0 = 33.85, 115.78
        self.projection = LocalProjection(lat0, lng0)
        edges: list[np.ndarray] = []
        shapes = []
        for spot in self.spots:
            ring_edges = []
            rings_xy = []
            for ring in _rings(spot.polygon):
                arr = np.asarray(ring, dtype=float)
                x, y = self.projection.to_xy(arr[:, 1], arr[:, 0])
                if x[0] != x[-1] or y[0] != y[-1]:
                    x, y = np.append(x, x[0]), np.append(y, y[0])
                ring_edges.append(np.stack([x[:-1], y[:-1], x[1:], y[1:]], axis=1))
                rings_xy.append(np.stack([x, y], axis=1))
            edges.append(np.concatenate(ring_edges))
            shapes.append(shapely.Polygon(rings_xy[0], rings_xy[1:]))
        self.polygons_xy = np.array(shapes, dtype=object)
        k = max((len(e) for e in edges), default=1)
        # Pad every spot to k edges with degenerate edges on its first vertex: a degenerate
        # edge never crosses a ray and its distance is that of a real vertex, so it is inert.
        self.edges = np.zeros((max(n, 1), k, 4))
        for i, e in enumerate(edges):
            self.edges[i, : len(e)] = e
            self.edges[i, len(e) :] = np.array([e[0, 0], e[0, 1], e[0, 0], e[0, 1]])
        self.capacity = np.array([s.capacity for s in self.spots], dtype=np.int64)
        self.spot_ids = np.array([s.spot_id for s in self.spots], dtype=np.int64)
        self.has_beacons = np.array([bool(s.beacon_ids) for s in self.spots], dtype=bool)
        self.beacon_to_spot: dict[str, int] = {}
        for i, s in enumerate(self.spots):
            for b in s.beacon_ids:
                self.beacon_to_spot[str(b)] = i
        self._build_grid()

    @cached_property
    def capacity_by_spot(self) -> dict[int, tuple[int, int]]:
        """spot id → (version id, capacity) of the spot snapshots: every ingest batch's
        overflow refresh asks it for hundreds of spots."""
        return {s.spot_id: (s.version_id, s.capacity) for s in self.spots}

    def _build_grid(self) -> None:
        n = len(self.spots)
        if n == 0:
            self.gx0 = self.gy0 = 0.0
            self.nx = self.ny = 1
            self.cell_start = np.zeros(2, dtype=np.int64)
            self.cell_spots = np.zeros(0, dtype=np.int32)
            self.bbox = np.zeros((1, 4))
            return
        ex = self.edges
        minx = np.minimum(ex[:, :, 0], ex[:, :, 2]).min(axis=1) - self.search_m
        maxx = np.maximum(ex[:, :, 0], ex[:, :, 2]).max(axis=1) + self.search_m
        miny = np.minimum(ex[:, :, 1], ex[:, :, 3]).min(axis=1) - self.search_m
        maxy = np.maximum(ex[:, :, 1], ex[:, :, 3]).max(axis=1) + self.search_m
        self.bbox = np.stack(
            [
                minx + self.search_m,
                maxx - self.search_m,
                miny + self.search_m,
                maxy - self.search_m,
            ],
            axis=1,
        )
        self.gx0, self.gy0 = float(minx.min()), float(miny.min())
        self.nx = math.ceil((maxx.max() - self.gx0) / self.cell_m) + 1
        self.ny = math.ceil((maxy.max() - self.gy0) / self.cell_m) + 1
        cells: list[np.ndarray] = []
        owners: list[np.ndarray] = []
        for i in range(n):
            cx0 = int((minx[i] - self.gx0) // self.cell_m)
            cx1 = int((maxx[i] - self.gx0) // self.cell_m)
            cy0 = int((miny[i] - self.gy0) // self.cell_m)
            cy1 = int((maxy[i] - self.gy0) // self.cell_m)
            xs, ys = np.meshgrid(np.arange(cx0, cx1 + 1), np.arange(cy0, cy1 + 1))
            ids = (ys * self.nx + xs).ravel()
            cells.append(ids)
            owners.append(np.full(len(ids), i, dtype=np.int32))
        all_cells = np.concatenate(cells)
        all_owners = np.concatenate(owners)
        order = np.argsort(all_cells, kind="stable")
        self.cell_spots = all_owners[order]
        counts = np.bincount(all_cells, minlength=self.nx * self.ny)
        self.cell_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    # --- the hot path -------------------------------------------------------------------
    def distances(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest candidate spot and distance (0 inside) for projected points."""
        m = len(x)
        best_d = np.full(m, np.inf)
        best_s = np.full(m, -1, dtype=np.int32)
        if not self.spots or m == 0:
            return best_s, best_d
        cx = np.floor((x - self.gx0) / self.cell_m).astype(np.int64)
        cy = np.floor((y - self.gy0) / self.cell_m).astype(np.int64)
        valid = (cx >= 0) & (cx < self.nx) & (cy >= 0) & (cy < self.ny)
        cell = np.where(valid, cy * self.nx + cx, 0)
        start = self.cell_start[cell]
        count = np.where(valid, self.cell_start[cell + 1] - start, 0)
        total = int(count.sum())
        if total == 0:
            return best_s, best_d
        point = np.repeat(np.arange(m), count)
        offsets = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
        spot = self.cell_spots[np.repeat(start, count) + offsets]
        # Cheap exact prefilter: the distance to a polygon is at least that to its bbox.
        bb = self.bbox[spot]
        bx = np.maximum(np.maximum(bb[:, 0] - x[point], x[point] - bb[:, 1]), 0.0)
        by = np.maximum(np.maximum(bb[:, 2] - y[point], y[point] - bb[:, 3]), 0.0)
        keep = bx * bx + by * by <= self.search_m * self.search_m
        point, spot = point[keep], spot[keep]
        total = len(point)
        if total == 0:
            return best_s, best_d
        count = np.bincount(point, minlength=m)
        e = self.edges[spot]  # (pairs, k, 4)
        px = x[point][:, None]
        py = y[point][:, None]
        x1, y1, x2, y2 = e[..., 0], e[..., 1], e[..., 2], e[..., 3]
        dx, dy = x2 - x1, y2 - y1
        seg2 = dx * dx + dy * dy
        t = np.clip(((px - x1) * dx + (py - y1) * dy) / np.where(seg2 > 0, seg2, 1.0), 0.0, 1.0)
        qx, qy = x1 + t * dx - px, y1 + t * dy - py
        edge_d = np.sqrt((qx * qx + qy * qy).min(axis=1))
        with np.errstate(divide="ignore", invalid="ignore"):
            crosses = ((y1 > py) != (y2 > py)) & (px < dx * (py - y1) / dy + x1)
        inside = (np.count_nonzero(crosses, axis=1) & 1).astype(bool)
        pair_d = np.where(inside, 0.0, edge_d)
        # Pairs come grouped by point (np.repeat of an ascending range): a segmented minimum,
        # then the first pair reaching it (reversed fancy assignment keeps the first).
        has = count > 0
        seg_start = (np.cumsum(count) - count)[has]
        best_d[has] = np.minimum.reduceat(pair_d, seg_start)
        hit = pair_d == best_d[point]
        best_s[point[hit][::-1]] = spot[hit][::-1]
        within = best_d <= self.search_m
        best_s = np.where(within, best_s, -1).astype(np.int32)
        best_d = np.where(within, best_d, np.inf)
        return best_s, best_d

    def check(
        self,
        lat: np.ndarray,
        lng: np.ndarray,
        accuracy_m: np.ndarray,
        config: EngineConfig,
        beacons: Sequence[Sequence[str]] | None = None,
    ) -> CheckResults:
        """Classify a batch of WGS-84 positions. `accuracy_m` may hold NaN for "not sent"."""
        lat = np.asarray(lat, dtype=float)
        lng = np.asarray(lng, dtype=float)
        acc = np.asarray(accuracy_m, dtype=float)
        acc = np.where(np.isnan(acc), config.missing_accuracy_m, np.maximum(acc, 0.0))
        x, y = self.projection.to_xy(lat, lng)
        spot = np.empty(len(x), dtype=np.int32)
        dist = np.empty(len(x))
        for lo in range(0, len(x), CHUNK):
            s, d = self.distances(x[lo : lo + CHUNK], y[lo : lo + CHUNK])
            spot[lo : lo + CHUNK], dist[lo : lo + CHUNK] = s, d
        tol = config.tolerance_m
        verdict = np.full(len(x), UNCERTAIN, dtype=np.int8)
        rule = np.full(len(x), _R["within_error"], dtype=np.int8)
        has_beacon_spot = (
            (spot >= 0) & self.has_beacons[np.maximum(spot, 0)] if self.spots else spot >= 0
        )
        rule[has_beacon_spot] = _R["within_error_no_beacon"]
        outside = dist > acc + tol
        verdict[outside] = OUTSIDE
        rule[outside] = _R["beyond_error"]
        far = outside & (spot < 0)
        rule[far] = _R["no_spot_nearby"]
        poor = (spot < 0) & (acc + tol >= self.search_m)
        verdict[poor] = UNCERTAIN
        rule[poor] = _R["poor_accuracy"]
        near = dist <= tol
        verdict[near] = IN_SPOT
        rule[near] = np.where(dist[near] == 0.0, _R["inside"], _R["within_tolerance"])
        beacon_spot = np.full(len(x), -1, dtype=np.int32)
        if beacons is not None and self.beacon_to_spot:
            for i, heard in enumerate(beacons):
                if not heard or verdict[i] == IN_SPOT:
                    continue
                for b in heard:
                    s_idx = self.beacon_to_spot.get(str(b))
                    if s_idx is None:
                        continue
                    d_s = float(
                        shapely.distance(self.polygons_xy[s_idx], shapely.Point(x[i], y[i]))
                    )
                    if d_s <= acc[i] + tol + config.beacon_range_m:
                        verdict[i], rule[i], beacon_spot[i] = IN_SPOT, _R["beacon_confirmed"], s_idx
                        spot[i], dist[i] = s_idx, d_s
                        break
        return CheckResults(verdict, rule, spot, dist, acc, beacon_spot)

    # --- nearest spots beyond the check's search radius (explanations, dispatch) ----------
    @cached_property
    def tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.polygons_xy)

    def nearest_any(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each point (local metres): the index of the nearest spot at any distance and the
        distance (-1 and inf when there are no spots). Only for the explanation of a verdict
        (outside, or uncertain for poor accuracy) with no spot in the search radius, so it
        may be slower than check()."""
        n = len(x)
        spot = np.full(n, -1, dtype=np.int64)
        dist = np.full(n, np.inf)
        if not self.spots or n == 0:
            return spot, dist
        points = shapely.points(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        (which, found), d = self.tree.query_nearest(points, return_distance=True, all_matches=False)
        spot[which] = found
        dist[which] = d
        return spot, dist

    def nearest_spots_many(
        self,
        lats: Sequence[float],
        lngs: Sequence[float],
        *,
        limit_m: float,
        at_least: int | None = None,
    ) -> list[NearSpots]:
        """For each point, the spots within `limit_m`, nearest first (ties by index), for all
        the points in one tree query and one distance call per round.

        With `at_least`, a point's search radius starts at an eighth of `limit_m` and doubles
        only while it holds fewer spots than that: its answer is then the nearest spots, a
        prefix of the whole answer (every spot left out is farther than every one in), and
        `complete` is False while the radius is short of `limit_m`. Dispatch wants the first
        two dozen of a 2 km radius's few hundred spots, and a distance per spot was most of
        its cost."""
        n = len(lats)
        out: list[NearSpots] = [NearSpots(np.empty(0, dtype=np.int64), np.empty(0), True)] * n
        if not self.spots or n == 0:
            return out
        x, y = self.projection.to_xy(lats, lngs)
        points = shapely.points(np.atleast_1d(x), np.atleast_1d(y))
        radius = np.full(n, limit_m if at_least is None else limit_m / 8)
        todo = np.arange(n)
        while len(todo):
            which, near = self.tree.query(points[todo], predicate="dwithin", distance=radius[todo])
            counts = np.bincount(which, minlength=len(todo))
            complete = radius[todo] >= limit_m
            done = complete | (counts >= (at_least or 0))
            keep = done[which]
            which, near = which[keep], near[keep]
            d = shapely.distance(self.polygons_xy[near], points[todo][which])
            order = np.lexsort((near, d, which))  # by point; nearest first; ties by spot index
            which, near, d = which[order], near[order], d[order]
            bounds = np.searchsorted(which, np.arange(len(todo) + 1))
            for j in np.flatnonzero(done):
                lo, hi = bounds[j], bounds[j + 1]
                out[todo[j]] = NearSpots(near[lo:hi], d[lo:hi], bool(complete[j]))
            todo = todo[~done]
            radius[todo] = np.minimum(radius[todo] * 2, limit_m)
        return out


class NearSpots(NamedTuple):
    """`SpotIndex.nearest_spots_many`'s answer for one point."""

    spots: np.ndarray  # spot indexes, nearest first
    distances: np.ndarray  # metres
    complete: bool  # every spot within the limit (else the nearest ones only)


def naive_check(
    spots: Sequence, lat: float, lng: float, accuracy_m: float | None, config: EngineConfig
) -> tuple[str, str, int, float]:
    """The reference: one shapely distance per polygon, no index (for tests and the bench)."""
    index = SpotIndex(spots) if not isinstance(spots, SpotIndex) else spots
    x, y = index.projection.to_xy(lat, lng)
    point = shapely.Point(float(x), float(y))
    best, best_d = -1, math.inf
    for i, poly in enumerate(index.polygons_xy):
        d = poly.distance(point)
        if d < best_d:
            best, best_d = i, d
    acc = config.missing_accuracy_m if accuracy_m is None else accuracy_m
    tol = config.tolerance_m
    if best_d > index.search_m:
        best, best_d = -1, math.inf
    if best_d <= tol:
        return "in_spot", "inside" if best_d == 0 else "within_tolerance", best, best_d
    if best < 0 and acc + tol >= index.search_m:
        return "uncertain", "poor_accuracy", best, best_d
    if best_d > acc + tol:
        return "outside", "no_spot_nearby" if best < 0 else "beyond_error", best, best_d
    return "uncertain", "within_error", best, best_d
