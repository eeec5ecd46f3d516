"""WGS-84 ↔ GCJ-02 ↔ BD-09 and a local metric projection, with no Django.

We store WGS-84 everywhere; Chinese map apps (高德/腾讯 use GCJ-02, 百度 uses BD-09) need
their own datum at the edges only. The forward WGS-84 → GCJ-02 formula is the standard
published transform (the one in eviltransform and every Chinese map SDK; parameters of the
Krasovsky ellipsoid). The inverse has no closed form: `gcj02_to_wgs84` iterates the forward
transform until the residual is below 1e-9° (well under a millimetre). Outside mainland
China's bounding rectangle GCJ-02 equals WGS-84, as in the reference implementations.

Both scalar and numpy-array inputs are accepted by the forward functions (the compliance engine
converts whole batches).
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import quote, urlencode

import numpy as np

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as in the published transform
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0
EARTH_RADIUS_M = 6371008.8  # mean radius (IUGG), for local projections and great circles


def out_of_china(lat: Any, lng: Any) -> Any:
    return (lng < 72.004) | (lng > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _transform_lat(x: Any, y: Any) -> Any:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: Any, y: Any) -> Any:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _delta(lat: Any, lng: Any) -> tuple[Any, Any]:
    d_lat = _transform_lat(lng - 105.0, lat - 35.0)
    d_lng = _transform_lng(lng - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return d_lat, d_lng


def _as_output(value: Any, scalar: bool) -> Any:
    return float(value) if scalar else value


def wgs84_to_gcj02(lat: Any, lng: Any) -> tuple[Any, Any]:
    """WGS-84 → GCJ-02 (`lat, lng` in, `lat, lng` out). Scalars or numpy arrays."""
    scalar = np.isscalar(lat) and np.isscalar(lng)
    lat_a = np.asarray(lat, dtype=float)
    lng_a = np.asarray(lng, dtype=float)
    d_lat, d_lng = _delta(lat_a, lng_a)
    outside = out_of_china(lat_a, lng_a)
    out_lat = np.where(outside, lat_a, lat_a + d_lat)
    out_lng = np.where(outside, lng_a, lng_a + d_lng)
    return _as_output(out_lat, scalar), _as_output(out_lng, scalar)


def gcj02_to_wgs84(lat: float, lng: float, *, tolerance_deg: float = 1e-9) -> tuple[float, float]:
    """GCJ-02 → WGS-84 by fixed-point iteration of the forward transform (exact to < 1 mm)."""
    if out_of_china(lat, lng):
        return float(lat), float(lng)
    w_lat, w_lng = float(lat), float(lng)
    for _ in range(30):
        g_lat, g_lng = wgs84_to_gcj02(w_lat, w_lng)
        e_lat, e_lng = g_lat - lat, g_lng - lng
        w_lat, w_lng = w_lat - e_lat, w_lng - e_lng
        if abs(e_lat) < tolerance_deg and abs(e_lng) < tolerance_deg:
            break
    return w_lat, w_lng


def gcj02_to_bd09(lat: float, lng: float) -> tuple[float, float]:
    z = math.sqrt(lng * lng + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(lat: float, lng: float, *, exact: bool = False) -> tuple[float, float]:
    """BD-09 → GCJ-02. The published closed form is off by up to ~10 cm; `exact=True`
    refines it by fixed-point iteration of `gcj02_to_bd09` (what round trips use)."""
    x, y = lng - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    g_lat, g_lng = z * math.sin(theta), z * math.cos(theta)
    if exact:
        for _ in range(20):
            b_lat, b_lng = gcj02_to_bd09(g_lat, g_lng)
            e_lat, e_lng = b_lat - lat, b_lng - lng
            g_lat, g_lng = g_lat - e_lat, g_lng - e_lng
            if abs(e_lat) < 1e-10 and abs(e_lng) < 1e-10:
                break
    return g_lat, g_lng


def wgs84_to_bd09(lat: float, lng: float) -> tuple[float, float]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lng))


def bd09_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lng, exact=True))


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


class LocalProjection:
    """An equirectangular projection in metres around a city's origin.

    Within a city (~20 km) its distance error is far below GPS error (< 0.1 % of the
    distance, i.e. millimetres at the metre scale the compliance rules care about).
    """

    def __init__(self, origin_lat: float, origin_lng: float) -> None:
        self.origin_lat = origin_lat
        self.origin_lng = origin_lng
        self._ky = math.pi / 180.0 * EARTH_RADIUS_M
        self._kx = self._ky * math.cos(math.radians(origin_lat))

    def to_xy(self, lat: Any, lng: Any) -> tuple[Any, Any]:
        x = (np.asarray(lng, dtype=float) - self.origin_lng) * self._kx
        y = (np.asarray(lat, dtype=float) - self.origin_lat) * self._ky
        return x, y

    def to_latlng(self, x: Any, y: Any) -> tuple[Any, Any]:
        return (
            np.asarray(y, dtype=float) / self._ky + self.origin_lat,
            np.asarray(x, dtype=float) / self._kx + self.origin_lng,
        )


def amap_walk_link(*, lat: float, lng: float, name: str) -> str:
    """A 高德地图 walking-navigation deep link to a WGS-84 point (converted to GCJ-02 here)."""
    g_lat, g_lng = wgs84_to_gcj02(lat, lng)
    query = urlencode(
        {
            "to": f"{g_lng:.6f},{g_lat:.6f},{name}",
            "mode": "walk",
            "coordinate": "gaode",
            "callnative": "1",
            "src": "nuanxin",
        },
        quote_via=quote,
        safe=",",
    )
    return f"https://uri.amap.com/navigation?{query}"
