"""Rebalancing as a transport problem (pure numpy + networkx; no Django).

Cells with more bikes than they need (surplus) send bikes to cells short of their need
(deficit). The flow network is

    S → surplus cell i   capacity surplusᵢ, cost 0
    i → deficit cell j   if the road distance ≤ max_distance_m, cost = metres per bike
                         (truck-metres divided by truck capacity: a full truck shares its trip)
    deficit cell j → T   capacity deficitⱼ, cost 0
    S → T                bypass for bikes that cannot be placed within reach (priced above
                         any real move, so min-cost flow moves as many bikes as it can)

and S supplies min(total surplus, total deficit, trucks × truck capacity × rounds). networkx's
network simplex solves it exactly in integers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np


@dataclass(frozen=True)
class Move:
    source: int  # index into the cell arrays
    target: int
    bikes: int
    distance_m: float
    truck_loads: int


def needs(
    supply: np.ndarray, target: np.ndarray, capacity: np.ndarray | None = None, slack: float = 0.2
) -> tuple[np.ndarray, np.ndarray]:
    """(surplus, deficit) per cell.

    Deficit: bikes missing to reach the target (expected pick-ups in the coming window).
    Surplus: bikes above the target plus a slack, or above the spots' capacity (oversupply),
    whichever is larger — a cell is never stripped below its own target.
    """
    supply = np.asarray(supply, dtype=np.int64)
    target = np.asarray(target, dtype=np.float64)
    deficit = np.maximum(np.ceil(target) - supply, 0).astype(np.int64)
    keep = np.ceil(target * (1.0 + slack))
    surplus = np.maximum(supply - keep, 0)
    if capacity is not None:
        over = np.where(capacity > 0, supply - np.maximum(capacity, np.ceil(target)), 0)
        surplus = np.maximum(surplus, over)
    return surplus.astype(np.int64), deficit


def haversine_matrix(lat_a, lng_a, lat_b, lng_b) -> np.ndarray:
    r = 6_371_008.8
    la, lb = np.radians(lat_a)[:, None], np.radians(lat_b)[None, :]
    dlat = lb - la
    dlng = np.radians(lng_b)[None, :] - np.radians(lng_a)[:, None]
    h = np.sin(dlat / 2) ** 2 + np.cos(la) * np.cos(lb) * np.sin(dlng / 2) ** 2
    return np.asarray(2 * r * np.arcsin(np.sqrt(np.minimum(h, 1.0))))


def solve_transport(
    *,
    surplus: np.ndarray,
    deficit: np.ndarray,
    lat: np.ndarray,
    lng: np.ndarray,
    truck_capacity: int,
    trucks: int,
    rounds: int = 1,
    max_distance_m: float = 5000.0,
    detour: float = 1.3,
    nearest_k: int = 25,
) -> list[Move]:
    """Min-cost moves from surplus to deficit cells within the trucks' budget."""
    if truck_capacity <= 0 or trucks <= 0:
        raise ValueError("truck_capacity and trucks must be positive")
    src = np.flatnonzero(surplus > 0)
    dst = np.flatnonzero(deficit > 0)
    budget = int(min(surplus[src].sum(), deficit[dst].sum(), truck_capacity * trucks * rounds))
    if budget <= 0 or len(src) == 0 or len(dst) == 0:
        return []
    dist = haversine_matrix(lat[src], lng[src], lat[dst], lng[dst]) * detour
    g = nx.DiGraph()
    g.add_node("S", demand=-budget)
    g.add_node("T", demand=budget)
    bypass_cost = math.ceil(max_distance_m / truck_capacity) + 1
    g.add_edge("S", "T", capacity=budget, weight=bypass_cost * 10)
    for a, i in enumerate(src.tolist()):
        g.add_edge("S", ("s", i), capacity=int(surplus[i]), weight=0)
        order = np.argsort(dist[a], kind="stable")[:nearest_k]
        for b in order.tolist():
            d = float(dist[a, b])
            if d > max_distance_m:
                break
            g.add_edge(("s", i), ("d", int(dst[b])), weight=round(d / truck_capacity))
    for j in dst.tolist():
        g.add_edge(("d", j), "T", capacity=int(deficit[j]), weight=0)
    flow = nx.min_cost_flow(g)
    moves: list[Move] = []
    index_of_dst = {int(j): b for b, j in enumerate(dst.tolist())}
    for a, i in enumerate(src.tolist()):
        for node, f in flow.get(("s", i), {}).items():
            if f > 0:
                j = node[1]
                d = float(dist[a, index_of_dst[j]])
                moves.append(Move(i, j, int(f), d, math.ceil(f / truck_capacity)))
    moves.sort(key=lambda m: (-m.bikes, m.distance_m))
    return moves
