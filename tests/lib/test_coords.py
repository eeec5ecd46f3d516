"""Datum transforms against the published reference points (eviltransform's test vectors)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from nuanxin.lib import coords

# wgs lat, wgs lng, gcj lat, gcj lng: Shanghai, Shenzhen, Beijing
GCJ_VECTORS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]
# BD-09 ↔ GCJ-02 reference values of the published formula (coordtransform / hutool tests):
# gcj02→bd09(39.915, 116.404) and bd09→gcj02(39.915, 116.404), as lat, lng.
GCJ_TO_BD = ((39.915, 116.404), (39.92133699351022, 116.41036949371029))
BD_TO_GCJ = ((39.915, 116.404), (39.90865673957631, 116.39762729119315))


@pytest.mark.parametrize(("w_lat", "w_lng", "g_lat", "g_lng"), GCJ_VECTORS)
def test_wgs84_to_gcj02_matches_published_vectors(w_lat, w_lng, g_lat, g_lng):
    lat, lng = coords.wgs84_to_gcj02(w_lat, w_lng)
    assert lat == pytest.approx(g_lat, abs=1e-9)
    assert lng == pytest.approx(g_lng, abs=1e-9)


@pytest.mark.parametrize(("w_lat", "w_lng", "g_lat", "g_lng"), GCJ_VECTORS)
def test_gcj02_to_wgs84_round_trip_within_centimetres(w_lat, w_lng, g_lat, g_lng):
    lat, lng = coords.gcj02_to_wgs84(g_lat, g_lng)
    assert coords.haversine_m(lat, lng, w_lat, w_lng) < 0.02


def test_bd09_matches_published_vectors():
    (src, expected) = GCJ_TO_BD
    assert coords.gcj02_to_bd09(*src) == pytest.approx(expected, abs=1e-12)
    (src, expected) = BD_TO_GCJ
    assert coords.bd09_to_gcj02(*src) == pytest.approx(expected, abs=1e-12)
    # The exact inverse is within 10 cm of the closed form and round-trips to < 1 mm.
    exact = coords.bd09_to_gcj02(*src, exact=True)
    assert coords.haversine_m(*exact, *expected) < 0.1
    assert coords.haversine_m(*coords.gcj02_to_bd09(*exact), *src) < 0.001


def test_round_trip_over_bozhou_grid_within_a_few_centimetres():
    for lat in np.linspace(33.80, 33.90, 7):
        for lng in np.linspace(115.70, 115.86, 7):
            g = coords.wgs84_to_gcj02(float(lat), float(lng))
            w = coords.gcj02_to_wgs84(*g)
            assert coords.haversine_m(w[0], w[1], lat, lng) < 0.03
            b = coords.wgs84_to_bd09(float(lat), float(lng))
            w2 = coords.bd09_to_wgs84(*b)
            assert coords.haversine_m(w2[0], w2[1], lat, lng) < 0.03
            # GCJ-02 shifts Bozhou by hundreds of metres: the transform really did something.
            assert 100 < coords.haversine_m(g[0], g[1], lat, lng) < 1000


def test_outside_china_is_unchanged_and_arrays_are_vectorised():
    assert coords.wgs84_to_gcj02(48.8584, 2.2945) == (48.8584, 2.2945)
    lats = np.array([31.1774276, 48.8584])
    lngs = np.array([121.5272106, 2.2945])
    g_lat, g_lng = coords.wgs84_to_gcj02(lats, lngs)
    assert g_lat[0] == pytest.approx(31.17530398364597, abs=1e-9)
    assert g_lng[1] == 2.2945


def test_local_projection_distances_match_great_circle():
    proj = coords.LocalProjection(33.85, 115.78)
    x1, y1 = proj.to_xy(33.85, 115.78)
    x2, y2 = proj.to_xy(33.8509, 115.7811)
    flat = float(np.hypot(x2 - x1, y2 - y1))
    assert flat == pytest.approx(coords.haversine_m(33.85, 115.78, 33.8509, 115.7811), rel=1e-3)
    lat, _lng = proj.to_latlng(x2, y2)
    assert float(lat) == pytest.approx(33.8509, abs=1e-12)


def test_amap_link_carries_gcj02_coordinates():
    url = coords.amap_walk_link(lat=33.8501, lng=115.7802, name="亳Q0000001")
    parsed = urlparse(url)
    assert parsed.netloc == "uri.amap.com" and parsed.path == "/navigation"
    query = parse_qs(parsed.query)
    lng_s, lat_s, name = query["to"][0].split(",")
    assert name == "亳Q0000001"
    g_lat, g_lng = coords.wgs84_to_gcj02(33.8501, 115.7802)
    assert float(lat_s) == pytest.approx(g_lat, abs=1e-6)
    assert float(lng_s) == pytest.approx(g_lng, abs=1e-6)
    assert query["mode"] == ["walk"] and query["coordinate"] == ["gaode"]
