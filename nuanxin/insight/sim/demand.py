"""Demand for the simulator: calibrated from recorded trips, or a gravity model (pure numpy)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from nuanxin.insight.sim.engine import City

EARTH_M_PER_DEG = 111_320.0


def local_xy(lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
    """Equirectangular metres around the mean position (fine over a city)."""
    lat0 = float(np.mean(lat)) if len(lat) else 0.0
    lng0 = float(np.mean(lng)) if len(lng) else 0.0
    x = (np.asarray(lng) - lng0) * EARTH_M_PER_DEG * np.cos(np.radians(lat0))
    y = (np.asarray(lat) - lat0) * EARTH_M_PER_DEG
    return np.column_stack([x, y])


def _profile(hourly_profile: list[float] | np.ndarray) -> np.ndarray:
    p = np.asarray(hourly_profile, dtype=np.float64)
    return p / p.sum()


@dataclass
class Demand:
    city: City
    source: str  # "trips" or "gravity"
    daily_trips: float
    trips_used: int = 0


def gravity(
    *,
    lat: np.ndarray,
    lng: np.ndarray,
    capacity: np.ndarray,
    daily_trips: float,
    hourly_profile: list[float] | np.ndarray,
    scale_m: float,
) -> Demand:
    """Origins ∝ spot capacity; destination weight capacityⱼ·exp(−dᵢⱼ/scale), no self-trips."""
    xy = local_xy(lat, lng)
    cap = np.asarray(capacity, dtype=np.float64)
    share = cap / cap.sum()
    origin_rate = _profile(hourly_profile)[:, None] * share[None, :] * daily_trips
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    w = cap[None, :] * np.exp(-d / scale_m)
    np.fill_diagonal(w, 0.0)
    return Demand(City(np.asarray(capacity, np.int64), xy, origin_rate, w), "gravity", daily_trips)


def from_trips(
    *,
    lat: np.ndarray,
    lng: np.ndarray,
    capacity: np.ndarray,
    start_lat: np.ndarray,
    start_lng: np.ndarray,
    end_lat: np.ndarray,
    end_lng: np.ndarray,
    start_hour: np.ndarray,
    days: float,
    scale_m: float,
) -> Demand:
    """Calibrate from recorded trips: each end snapped to the nearest spot.

    Hourly profile and origin shares come from the trips; the OD weights are the observed
    counts plus a small gravity prior (one pseudo-trip spread over each row) so that pairs
    never seen in a short history keep a non-zero chance.
    """
    xy = local_xy(lat, lng)
    tree = cKDTree(xy)
    lat0, lng0 = float(np.mean(lat)), float(np.mean(lng))

    def snap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        pts = np.column_stack(
            [
                (np.asarray(b) - lng0) * EARTH_M_PER_DEG * np.cos(np.radians(lat0)),
                (np.asarray(a) - lat0) * EARTH_M_PER_DEG,
            ]
        )
        return np.asarray(tree.query(pts)[1])

    n = len(lat)
    o = snap(start_lat, start_lng)
    d = snap(end_lat, end_lng)
    hours = np.asarray(start_hour, dtype=np.int64) % 24
    per_hour = np.bincount(hours, minlength=24).astype(np.float64) / days
    cap = np.asarray(capacity, dtype=np.float64)
    origin_counts = np.bincount(o, minlength=n).astype(np.float64)
    origin_share = (origin_counts + cap / cap.sum()) / (origin_counts.sum() + 1.0)
    origin_rate = per_hour[:, None] * origin_share[None, :]
    od = np.zeros((n, n))
    np.add.at(od, (o, d), 1.0)
    dist = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    prior = cap[None, :] * np.exp(-dist / scale_m)
    np.fill_diagonal(prior, 0.0)
    prior /= np.maximum(prior.sum(axis=1, keepdims=True), 1e-12)
    city = City(np.asarray(capacity, np.int64), xy, origin_rate, od + prior)
    return Demand(city, "trips", float(per_hour.sum()), trips_used=len(o))
