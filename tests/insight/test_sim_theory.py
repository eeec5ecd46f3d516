"""The simulator against theory (shared/reference/bikes.md).

Tolerances are computed, not guessed. Each run is split into batches after a warm-up; the
batch means give a standard error (SE) of the time-average. We accept |simulated − theory| ≤
3·SE (≈99.7% if the batch means are roughly normal and independent — batches are 100+
mean ride times long, so their correlation is negligible) plus the model's finite-size bias:
- Fricker & Gast's 2/(K+1) is a mean-field (N → ∞) limit; the error at N stations is O(1/N)
  (their Theorem on the convergence of the occupancy distribution), so we allow 1/N.
- George & Xia's Aᵢ(M) is exact for finite M (Buzen's convolution below), so no bias term
  is needed against it; the M → ∞ limit ρᵢ/maxρ is then checked on the exact values.
"""

from __future__ import annotations

import numpy as np
import pytest

from nuanxin.insight.sim.engine import INFINITE_CAPACITY, City, RideModel, SimParams, simulate
from nuanxin.insight.sim.theory import (
    fricker_gast_optimum,
    george_xia_availability,
    george_xia_rho,
)

N, K, LAM, MU = 100, 10, 1.0, 1.0  # per minute: λ arrivals per station, μ = 1 / mean ride


def _fg_run(s: int, seed: int = 1):
    city = City(
        capacity=np.full(N, K),
        xy_m=np.zeros((N, 2)),
        origin_rate=np.full((1, N), LAM * 60.0),
        dest_weight=np.ones((N, N)),
    )
    params = SimParams(
        fleet=s * N,
        duration_min=1050,
        warmup_min=50,
        walk_radius_m=0,
        full_policy="random",
        ride=RideModel(kind="exponential", mean_min=1 / MU),
        snapshot_every_min=100,
        seed=seed,
    )
    return simulate(city, params)


def _se(batches: np.ndarray) -> float:
    return float(batches.std(ddof=1) / np.sqrt(len(batches)))


def test_fricker_gast_minimum_share_is_two_over_k_plus_one_at_s_star():
    s_star, p_min = fricker_gast_optimum(capacity=K, arrival_rate=LAM, return_rate=MU)
    assert s_star == 6 and p_min == pytest.approx(2 / 11)
    r = _fg_run(int(s_star))
    tolerance = 3 * _se(r.batch_problematic()) + 1 / N
    assert abs(r.problematic_share - p_min) <= tolerance
    # At s* occupancy is uniform on 0..K, so empty and full each take 1/(K+1).
    assert abs(r.empty_share - 1 / (K + 1)) <= tolerance
    assert abs(r.full_share - 1 / (K + 1)) <= tolerance


def test_fricker_gast_share_is_minimised_near_s_star():
    shares = {s: _fg_run(s) for s in (4, 6, 8)}
    at_star = shares[6]
    for s in (4, 8):
        # The gap must exceed the noise of both estimates (3·SE of the difference).
        gap = shares[s].problematic_share - at_star.problematic_share
        se_diff = np.hypot(_se(shares[s].batch_problematic()), _se(at_star.batch_problematic()))
        assert gap > 3 * se_diff, (s, gap, se_diff)


def _gx_run(fleet: int, lam: np.ndarray, routing: np.ndarray):
    n = len(lam)
    city = City(
        capacity=np.full(n, INFINITE_CAPACITY),
        xy_m=np.zeros((n, 2)),
        origin_rate=(lam * 60.0)[None, :],
        dest_weight=routing,
    )
    params = SimParams(
        fleet=fleet,
        duration_min=20_100,
        warmup_min=100,
        walk_radius_m=0,
        ride=RideModel(kind="exponential", mean_min=1.0),
        snapshot_every_min=1000,
        seed=3,
        initial=np.full(n, fleet // n),
    )
    return simulate(city, params)


def test_george_xia_availability_matches_the_closed_network_and_its_limit():
    lam = np.ones(5)
    routing = np.tile(np.array([3.0, 2.0, 1.0, 1.0, 1.0]), (5, 1))  # unbalanced city
    limit = george_xia_rho(arrival_rate=lam, routing=routing)
    np.testing.assert_allclose(limit, [1, 2 / 3, 1 / 3, 1 / 3, 1 / 3], atol=1e-9)
    # Exact finite-M availability rises to ρᵢ/maxρ and no further: fleet alone can't fix it.
    a10 = george_xia_availability(arrival_rate=lam, routing=routing, ride_rate=1.0, fleet=10)
    a40 = george_xia_availability(arrival_rate=lam, routing=routing, ride_rate=1.0, fleet=40)
    assert np.all(a10 < a40 + 1e-12)
    np.testing.assert_allclose(a40, limit, atol=1e-3)
    for fleet, exact in ((10, a10), (40, a40)):
        r = _gx_run(fleet, lam, routing)
        batches = r.batch_availability()
        se = batches.std(axis=0, ddof=1) / np.sqrt(len(batches))
        # Floor the SE at 1/√(batch trips) for the station that is never empty (SE 0).
        tol = 3 * np.maximum(se, 1 / np.sqrt(1000))
        assert np.all(np.abs(r.availability - exact) <= tol), (fleet, r.availability, exact, tol)
