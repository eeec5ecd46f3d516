from __future__ import annotations

import h3
import numpy as np
import pytest
from scipy.optimize import linprog

from nuanxin.core.errors import DomainError
from nuanxin.insight.h3agg import aggregate, cells_for, grid_baseline, to_geojson
from nuanxin.insight.rebalance import haversine_matrix, needs, solve_transport
from nuanxin.insight.sim.config import load_config, parse_config_text
from nuanxin.insight.sim.demand import gravity
from nuanxin.insight.sim.engine import SimParams, simulate


def test_vectorised_cells_equal_the_public_h3_api():
    rng = np.random.default_rng(0)
    lat, lng = rng.uniform(33.8, 33.9, 500), rng.uniform(115.7, 115.86, 500)
    for res in (8, 9, 10):
        ours = cells_for(lat, lng, res)
        public = [
            h3.str_to_int(h3.latlng_to_cell(a, b, res)) for a, b in zip(lat, lng, strict=False)
        ]
        assert ours.tolist() == public


def test_lattice_shortcut_gives_exactly_the_cells_of_the_public_api():
    from nuanxin.insight.h3agg import LATTICE_MIN_POINTS, cells_for_many

    rng = np.random.default_rng(11)
    n = LATTICE_MIN_POINTS * 2
    # Clustered like parked bikes (dense enough for the lattice), plus some spread.
    hubs = rng.uniform([33.80, 115.70], [33.90, 115.86], size=(30, 2))
    pick = rng.integers(0, 30, n)
    lat = hubs[pick, 0] + rng.normal(0, 0.002, n)
    lng = hubs[pick, 1] + rng.normal(0, 0.002, n)
    for res in (8, 9, 10):
        assert np.array_equal(cells_for_many(lat, lng, res), cells_for(lat, lng, res)), res
    sample = rng.integers(0, n, 300)
    ours = cells_for_many(lat, lng, 9)[sample].tolist()
    assert ours == [h3.str_to_int(h3.latlng_to_cell(lat[i], lng[i], 9)) for i in sample]


def test_aggregate_counts_and_weights_sum_to_the_input():
    rng = np.random.default_rng(1)
    lat, lng = rng.uniform(33.8, 33.9, 2000), rng.uniform(115.7, 115.86, 2000)
    cells, counts = aggregate(lat, lng, 9)
    assert counts.sum() == 2000 and len(set(cells.tolist())) == len(cells)
    _, w = aggregate(lat, lng, 9, weights=np.full(2000, 0.5))
    assert w.sum() == pytest.approx(1000)
    _keys, kc = grid_baseline(lat, lng, 0.003)
    assert kc.sum() == 2000
    geo = to_geojson([h3.int_to_str(int(cells[0]))], [{"value": 3}])
    ring = geo["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 7  # a hexagon, closed


def test_transport_solution_is_optimal_against_linprog():
    rng = np.random.default_rng(2)
    n = 14
    lat, lng = rng.uniform(33.8, 33.9, n), rng.uniform(115.7, 115.86, n)
    supply = rng.integers(0, 12, n)
    target = rng.integers(0, 12, n)
    surplus, deficit = needs(supply, target, slack=0.0)
    moves = solve_transport(
        surplus=surplus,
        deficit=deficit,
        lat=lat,
        lng=lng,
        truck_capacity=10,
        trucks=100,
        max_distance_m=1e7,
        nearest_k=n,
    )
    src, dst = np.flatnonzero(surplus), np.flatnonzero(deficit)
    moved = min(surplus.sum(), deficit.sum())
    assert sum(m.bikes for m in moves) == moved
    for m in moves:
        assert m.bikes <= surplus[m.source] and m.bikes <= deficit[m.target]
    # Same problem as an LP: minimise Σ dist·x with row sums ≤ surplus, col sums ≤ deficit,
    # total = moved. Integer costs in the flow are metres/truck_capacity rounded: allow that.
    dist = haversine_matrix(lat[src], lng[src], lat[dst], lng[dst]) * 1.3
    a_ub = np.vstack(
        [np.kron(np.eye(len(src)), np.ones(len(dst))), np.kron(np.ones(len(src)), np.eye(len(dst)))]
    )
    b_ub = np.concatenate([surplus[src], deficit[dst]])
    lp = linprog(dist.ravel(), A_ub=a_ub, b_ub=b_ub, A_eq=np.ones((1, dist.size)), b_eq=[moved])
    ours = sum(m.bikes * m.distance_m for m in moves)
    assert ours <= lp.fun + 10 * moved  # ≤ rounding of 10 m per bike


def test_truck_budget_and_distance_limit_are_respected():
    lat = np.array([33.80, 33.80, 33.89])
    lng = np.array([115.70, 115.701, 115.85])
    moves = solve_transport(
        surplus=np.array([50, 0, 0]),
        deficit=np.array([0, 30, 30]),
        lat=lat,
        lng=lng,
        truck_capacity=10,
        trucks=2,
        max_distance_m=3000,
    )
    assert sum(m.bikes for m in moves) == 20  # 2 trucks × 10 bikes
    assert {m.target for m in moves} == {1}  # the far cell is out of reach


def test_malformed_configs_get_specific_errors():
    with pytest.raises(DomainError) as e:
        parse_config_text("duration_hours: [", name="x.yaml")
    assert e.value.code == "sim_config_syntax"
    with pytest.raises(DomainError) as e:
        load_config(overrides={"ride.kind": "teleport"})
    assert e.value.code == "sim_config_invalid" and "ride.kind" in e.value.message
    with pytest.raises(DomainError) as e:
        load_config(overrides={"search.min_fleet": 9000, "search.max_fleet": 10})
    assert "min_fleet" in e.value.message
    with pytest.raises(DomainError):
        parse_config_text("[1, 2]")
    assert load_config()["seeds"] >= 1


def test_city_day_outputs_are_consistent():
    rng = np.random.default_rng(3)
    n = 60
    demand = gravity(
        lat=rng.uniform(33.8, 33.9, n),
        lng=rng.uniform(115.7, 115.86, n),
        capacity=rng.integers(5, 20, n),
        daily_trips=3000,
        hourly_profile=[1] * 24,
        scale_m=1500,
    )
    small = simulate(demand.city, SimParams(fleet=60, seed=1))
    large = simulate(demand.city, SimParams(fleet=600, seed=1))
    for r in (small, large):
        assert r.served + r.lost == r.requested
        assert int(r.final_occupancy.sum()) <= r.fleet
        assert 0 <= r.problematic_share <= 1 and 0 <= r.idle_bikes <= r.fleet
    assert large.served_share > small.served_share
