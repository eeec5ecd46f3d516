"""Closed-form results the simulator is checked against (see shared/reference/bikes.md)."""

from __future__ import annotations

import math

import numpy as np


def fricker_gast_optimum(*, capacity: int, arrival_rate: float, return_rate: float) -> tuple:
    """(s*, minimal problematic share): s* = K/2 + λ/μ bikes per station, share 2/(K+1)."""
    return capacity / 2 + arrival_rate / return_rate, 2 / (capacity + 1)


def visit_ratios(routing: np.ndarray) -> np.ndarray:
    """Stationary distribution of the routing chain (v = vP, Σv = 1)."""
    p = np.asarray(routing, dtype=np.float64)
    p = p / p.sum(axis=1, keepdims=True)
    n = p.shape[0]
    a = np.vstack([p.T - np.eye(n), np.ones(n)])
    b = np.zeros(n + 1)
    b[-1] = 1.0
    v, *_ = np.linalg.lstsq(a, b, rcond=None)
    return np.asarray(v)


def george_xia_rho(*, arrival_rate: np.ndarray, routing: np.ndarray) -> np.ndarray:
    """ρᵢ = vᵢ/λᵢ, scaled so that max ρ = 1 (then ρᵢ is also the M → ∞ availability)."""
    rho = visit_ratios(routing) / np.asarray(arrival_rate, dtype=np.float64)
    return np.asarray(rho / rho.max())


def george_xia_availability(
    *, arrival_rate: np.ndarray, routing: np.ndarray, ride_rate: float, fleet: int
) -> np.ndarray:
    """Exact Aᵢ(M) = ρᵢ G(M−1)/G(M) of the closed Jackson network, by Buzen's convolution.

    Stations are single servers of rate λᵢ (a bike leaves when a user arrives; users finding
    no bike are lost); riding is an infinite-server node of rate μ per bike.
    """
    v = visit_ratios(routing)
    lam = np.asarray(arrival_rate, dtype=np.float64)
    rho = v / lam
    scale = rho.max()
    rho = rho / scale
    rho_ride = (v.sum() / ride_rate) / scale
    # Start with the infinite-server node, then fold in each single-server station.
    g = np.array([rho_ride**m / math.factorial(m) for m in range(fleet + 1)], dtype=np.float64)
    for r in rho:
        for m in range(1, fleet + 1):
            g[m] += r * g[m - 1]
    return np.asarray(rho * g[fleet - 1] / g[fleet])
