"""Discrete-event simulator of a dock-based (fenced-spot) bike-sharing city.

Pure numpy + heapq; no Django. Time is in minutes.

Model, per spot i with capacity K_i:
- users arrive as a Poisson process with hourly rate ``origin_rate[h, i]`` (trips/hour);
- a user takes a bike at i if one is parked there, otherwise walks to the nearest spot
  within ``walk_radius_m`` that has one, otherwise leaves unserved;
- the destination j is drawn from the row i of the origin–destination weights;
- the ride lasts a random time (exponential, or distance / speed with lognormal noise);
- if j is full the rider either rides on to the nearest spot with room within the walking
  radius ("nearest", parking anyway and overflowing if none has room) or, as in Fricker &
  Gast's model, rides to a uniformly random spot for another exponential time ("random");
- operators' trucks rebalance every ``interval_min`` towards ``target_fill`` of capacity.

Arrivals are generated up front (vectorised) and merged with a heap of bike returns, so the
Python loop does O(1) work per trip. Empty/full time is accounted exactly per spot.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

import numpy as np

INFINITE_CAPACITY = 1 << 30


@dataclass
class RideModel:
    kind: str = "distance"  # "distance" or "exponential"
    mean_min: float = 12.0  # exponential: the mean ride time
    speed_kmh: float = 12.0  # distance: cycling speed
    detour: float = 1.3  # distance: street-network factor over the straight line
    min_min: float = 2.0  # distance: minimum ride (unlock, park)
    noise_sigma: float = 0.25  # distance: lognormal noise


@dataclass
class Rebalancing:
    interval_min: float = 0.0  # 0 disables rebalancing
    trucks: int = 0
    truck_capacity: int = 20
    target_fill: float = 0.5


@dataclass
class City:
    capacity: np.ndarray  # (n,) int
    xy_m: np.ndarray  # (n, 2) metres in a local plane
    origin_rate: np.ndarray  # (hours, n) trips per hour leaving each spot
    dest_weight: np.ndarray  # (n, n) row-stochastic (or any non-negative) OD weights

    @property
    def n(self) -> int:
        return int(self.capacity.shape[0])


@dataclass
class SimParams:
    fleet: int
    duration_min: float = 24 * 60
    warmup_min: float = 0.0
    walk_radius_m: float = 300.0
    full_policy: str = "nearest"  # or "random"
    ride: RideModel = field(default_factory=RideModel)
    rebalancing: Rebalancing = field(default_factory=Rebalancing)
    seed: int = 0
    snapshot_every_min: float = 60.0
    initial: np.ndarray | None = None  # (n,) bikes per spot at t=0; default ∝ capacity


@dataclass
class SimResult:
    requested: int
    served: int
    walked: int
    lost: int
    rerouted: int
    overflowed: int
    fleet: int
    spots: int
    duration_min: float
    empty_time: np.ndarray  # (n,) minutes each spot was empty after warm-up
    full_time: np.ndarray  # (n,) minutes each spot was full or overflowing
    snapshots: list[dict[str, Any]]  # cumulative per-spot empty/full minutes at each snapshot
    idle_bikes: int
    final_occupancy: np.ndarray
    mean_riding: float

    @property
    def served_share(self) -> float:
        return self.served / self.requested if self.requested else 1.0

    @property
    def observed_min(self) -> float:
        return self.duration_min

    @property
    def empty_share(self) -> float:
        return float(self.empty_time.sum() / (self.spots * self.duration_min))

    @property
    def full_share(self) -> float:
        return float(self.full_time.sum() / (self.spots * self.duration_min))

    @property
    def problematic_share(self) -> float:
        return self.empty_share + self.full_share

    @property
    def availability(self) -> np.ndarray:
        """Per spot: the share of time it had at least one bike."""
        return 1.0 - self.empty_time / self.duration_min

    @property
    def bikes_per_spot(self) -> float:
        return self.fleet / self.spots if self.spots else 0.0

    def batch_problematic(self) -> np.ndarray:
        """Problematic share in each interval between snapshots (for batch-means CIs)."""
        shares = []
        prev_e = np.zeros(self.spots)
        prev_f = np.zeros(self.spots)
        prev_t = 0.0
        for snap in self.snapshots:
            dt = snap["t"] - prev_t
            if dt <= 0:
                continue
            e, f = snap["empty"], snap["full"]
            shares.append(((e - prev_e).sum() + (f - prev_f).sum()) / (self.spots * dt))
            prev_e, prev_f, prev_t = e, f, snap["t"]
        return np.array(shares)

    def batch_availability(self) -> np.ndarray:
        """(batches, n): per-spot availability in each interval between snapshots."""
        rows = []
        prev_e = np.zeros(self.spots)
        prev_t = 0.0
        for snap in self.snapshots:
            dt = snap["t"] - prev_t
            if dt <= 0:
                continue
            rows.append(1.0 - (snap["empty"] - prev_e) / dt)
            prev_e, prev_t = snap["empty"], snap["t"]
        return np.array(rows)

    def summary(self) -> dict[str, Any]:
        return {
            "fleet": self.fleet,
            "spots": self.spots,
            "requested": self.requested,
            "served": self.served,
            "served_share": round(self.served_share, 4),
            "walked": self.walked,
            "lost": self.lost,
            "rerouted": self.rerouted,
            "overflowed": self.overflowed,
            "problematic_share": round(self.problematic_share, 4),
            "empty_share": round(self.empty_share, 4),
            "full_share": round(self.full_share, 4),
            "idle_bikes": self.idle_bikes,
            "bikes_per_spot": round(self.bikes_per_spot, 2),
            "mean_riding": round(self.mean_riding, 1),
        }


def neighbours_within(xy_m: np.ndarray, radius_m: float) -> list[list[int]]:
    """For each spot, the other spots within radius, nearest first (grid-bucketed)."""
    n = xy_m.shape[0]
    if radius_m <= 0 or n == 0:
        return [[] for _ in range(n)]
    cells = np.floor(xy_m / radius_m).astype(np.int64)
    buckets: dict[tuple[int, int], list[int]] = {}
    for i, (cx, cy) in enumerate(cells.tolist()):
        buckets.setdefault((cx, cy), []).append(i)
    result: list[list[int]] = []
    for i, (cx, cy) in enumerate(cells.tolist()):
        cand = [
            j
            for dx in (-1, 0, 1)
            for dy in (-1, 0, 1)
            for j in buckets.get((cx + dx, cy + dy), ())
            if j != i
        ]
        if not cand:
            result.append([])
            continue
        arr = np.array(cand)
        d = np.hypot(*(xy_m[arr] - xy_m[i]).T)
        keep = d <= radius_m
        order = np.argsort(d[keep], kind="stable")
        result.append(arr[keep][order].tolist())
    return result


def _arrivals(city: City, params: SimParams, rng: np.random.Generator) -> tuple:
    """All trip requests: (times, origins, destinations), sorted by time."""
    hours = city.origin_rate.shape[0]
    n = city.n
    n_periods = int(np.ceil(params.duration_min / 60.0))
    times, origins = [], []
    for p in range(n_periods):
        span = min(60.0, params.duration_min - p * 60.0)
        rate = city.origin_rate[p % hours] * (span / 60.0)
        counts = rng.poisson(rate)
        orig = np.repeat(np.arange(n), counts)
        times.append(p * 60.0 + rng.random(orig.size) * span)
        origins.append(orig)
    t = np.concatenate(times) if times else np.empty(0)
    o = np.concatenate(origins).astype(np.int64) if origins else np.empty(0, np.int64)
    order = np.argsort(t, kind="stable")
    t, o = t[order], o[order]
    # Destination by inverse CDF over the flattened row-CDFs: row i's CDF lives in
    # (i, i+1], so one global searchsorted serves every origin at once.
    w = np.asarray(city.dest_weight, dtype=np.float64)
    row_sum = w.sum(axis=1, keepdims=True)
    row_sum[row_sum == 0] = 1.0
    cdf = np.cumsum(w / row_sum, axis=1)
    cdf[:, -1] = 1.0
    flat = (cdf + np.arange(n)[:, None]).ravel()
    idx = np.searchsorted(flat, o + rng.random(o.size) * (1 - 1e-12), side="right")
    d = np.clip(idx - o * n, 0, n - 1)
    return t, o, d


def _ride_times(city: City, params: SimParams, o: np.ndarray, d: np.ndarray, rng) -> np.ndarray:
    ride = params.ride
    if ride.kind == "exponential":
        return rng.exponential(ride.mean_min, size=o.size)
    dist = np.hypot(*(city.xy_m[d] - city.xy_m[o]).T) * ride.detour
    base = dist / (ride.speed_kmh * 1000.0 / 60.0)
    noise = rng.lognormal(0.0, ride.noise_sigma, size=o.size) if ride.noise_sigma > 0 else 1.0
    return np.maximum(base * noise, ride.min_min)


def initial_occupancy(capacity: np.ndarray, fleet: int) -> np.ndarray:
    """Spread the fleet proportionally to capacity (largest remainder), capped at capacity."""
    cap = capacity.astype(np.float64)
    finite = np.minimum(cap, 10_000)
    share = finite / finite.sum() * fleet
    occ = np.floor(share).astype(np.int64)
    rest = fleet - int(occ.sum())
    if rest > 0:
        order = np.argsort(-(share - occ), kind="stable")
        occ[order[:rest]] += 1
    return occ


def simulate(city: City, params: SimParams) -> SimResult:
    rng = np.random.default_rng(params.seed)
    n = city.n
    cap = [int(c) for c in city.capacity.tolist()]
    occ0 = (
        params.initial
        if params.initial is not None
        else initial_occupancy(city.capacity, params.fleet)
    )
    occ = [int(x) for x in occ0.tolist()]
    stacks: list[list[int]] = []
    next_id = 0
    for k in occ:
        stacks.append(list(range(next_id, next_id + k)))
        next_id += k
    fleet = next_id
    used = bytearray(fleet)

    t_arr, o_arr, d_arr = _arrivals(city, params, rng)
    ride_arr = _ride_times(city, params, o_arr, d_arr, rng)
    nb = neighbours_within(city.xy_m, params.walk_radius_m)
    random_policy = params.full_policy == "random"
    exp_mean = params.ride.mean_min
    py_random = np.random.default_rng(params.seed + 7919)
    rand_pool = py_random.random(1 << 16).tolist()
    rand_i = 0

    empty_t = [0.0] * n
    full_t = [0.0] * n
    last = [0.0] * n
    warm = params.warmup_min
    end = params.duration_min

    returns: list[tuple[float, int, int]] = []  # (time, destination, bike)
    reb = params.rebalancing
    reb_times: list[float] = []
    if reb.interval_min > 0 and reb.trucks > 0:
        reb_times = list(np.arange(reb.interval_min, end, reb.interval_min))
    snap_times = list(np.arange(params.snapshot_every_min + warm, end, params.snapshot_every_min))
    snap_times.append(end)
    special: list[tuple[float, int]] = [(t, 0) for t in reb_times] + [(t, 1) for t in snap_times]
    special.append((warm, 2))
    special.sort()
    si = 0
    snapshots: list[dict[str, Any]] = []

    requested = served = walked = lost = rerouted = overflowed = 0
    riding_area = 0.0
    riding = 0
    last_event = 0.0

    def touch(i: int, t: float) -> None:
        dt = t - last[i]
        if dt > 0:
            k = occ[i]
            if k == 0:
                empty_t[i] += dt
            elif k >= cap[i]:
                full_t[i] += dt
        last[i] = t

    def touch_all(t: float) -> None:
        for i in range(n):
            touch(i, t)

    def do_special(kind: int, t: float) -> None:
        nonlocal riding_area, last_event
        if kind == 2:  # end of warm-up: reset the clocks
            touch_all(t)
            for i in range(n):
                empty_t[i] = 0.0
                full_t[i] = 0.0
            riding_area = 0.0
            last_event = t
        elif kind == 1:
            touch_all(t)
            snapshots.append({"t": t - warm, "empty": np.array(empty_t), "full": np.array(full_t)})
        else:
            _rebalance(t)

    def _rebalance(t: float) -> None:
        occ_np = np.array(occ)
        cap_np = np.minimum(np.array(cap), 10_000)
        target = np.round(cap_np * reb.target_fill).astype(np.int64)
        surplus = np.maximum(occ_np - target, 0)
        deficit = np.maximum(target - occ_np, 0)
        budget = reb.trucks * reb.truck_capacity
        move = int(min(surplus.sum(), deficit.sum(), budget))
        if move <= 0:
            return
        take_order = np.argsort(-surplus, kind="stable")
        give_order = np.argsort(-deficit, kind="stable")
        carried: list[int] = []
        for i in take_order.tolist():
            if len(carried) >= move or surplus[i] == 0:
                break
            k = int(min(surplus[i], move - len(carried)))
            touch(i, t)
            for _ in range(k):
                carried.append(stacks[i].pop())
            occ[i] -= k
        for j in give_order.tolist():
            if not carried or deficit[j] == 0:
                break
            k = int(min(deficit[j], len(carried)))
            touch(j, t)
            for _ in range(k):
                stacks[j].append(carried.pop())
            occ[j] += k

    def park(t: float, j: int, bike: int) -> None:
        nonlocal rerouted, overflowed, rand_i, riding, riding_area, last_event
        if occ[j] >= cap[j]:
            if random_policy:
                # Fricker & Gast: ride on to a uniformly random spot.
                r = rand_pool[rand_i]
                r2 = rand_pool[rand_i + 1]
                rand_i = (rand_i + 2) & 0xFFFE
                k = min(int(r * n), n - 1)
                rerouted += 1
                heapq.heappush(returns, (t - exp_mean * np.log1p(-r2), k, bike))
                return
            for k in nb[j]:
                if occ[k] < cap[k]:
                    rerouted += 1
                    j = k
                    break
            else:
                overflowed += 1
        if t > last_event:
            riding_area += riding * (t - last_event)
            last_event = t
        riding -= 1
        touch(j, t)
        occ[j] += 1
        stacks[j].append(bike)

    t_list = t_arr.tolist()
    o_list = o_arr.tolist()
    d_list = d_arr.tolist()
    r_list = ride_arr.tolist()
    for idx in range(len(t_list)):
        t = t_list[idx]
        while True:
            t_ret = returns[0][0] if returns else np.inf
            t_spec = special[si][0] if si < len(special) else np.inf
            if t_ret <= t and t_ret <= t_spec:
                tr, j, bike = heapq.heappop(returns)
                park(tr, j, bike)
            elif t_spec <= t:
                do_special(special[si][1], t_spec)
                si += 1
            else:
                break
        o = o_list[idx]
        counted = t >= warm
        if counted:
            requested += 1
        src = o
        if occ[o] == 0:
            src = -1
            for k in nb[o]:
                if occ[k] > 0:
                    src = k
                    break
            if src < 0:
                if counted:
                    lost += 1
                continue
            if counted:
                walked += 1
        if counted:
            served += 1
        touch(src, t)
        occ[src] -= 1
        bike = stacks[src].pop()
        used[bike] = 1
        if t > last_event:
            riding_area += riding * (t - last_event)
            last_event = t
        riding += 1
        heapq.heappush(returns, (t + r_list[idx], d_list[idx], bike))
    # Drain what remains up to the end of the horizon.
    while True:
        t_ret = returns[0][0] if returns else np.inf
        t_spec = special[si][0] if si < len(special) else np.inf
        if min(t_ret, t_spec) > end:
            break
        if t_ret <= t_spec:
            tr, j, bike = heapq.heappop(returns)
            park(tr, j, bike)
        else:
            do_special(special[si][1], t_spec)
            si += 1
    if end > last_event:
        riding_area += riding * (end - last_event)
    observed = end - warm
    return SimResult(
        requested=requested,
        served=served,
        walked=walked,
        lost=lost,
        rerouted=rerouted,
        overflowed=overflowed,
        fleet=fleet,
        spots=n,
        duration_min=observed,
        empty_time=np.array(empty_t),
        full_time=np.array(full_t),
        snapshots=snapshots,
        idle_bikes=fleet - int(sum(used)),
        final_occupancy=np.array(occ),
        mean_riding=riding_area / observed if observed > 0 else 0.0,
    )
