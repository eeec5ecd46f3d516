from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _fresh_index() -> Any:
    from nuanxin.compliance.index import index_clear

    index_clear()
    yield
    index_clear()


@pytest.fixture
def city(personas: Any) -> Any:
    """Two spots, a bike of each operator and an on-duty worker of each operator."""
    from types import SimpleNamespace

    from tests.compliance.factories import LAT0, LNG0, make_bike, make_spot, make_worker, offset

    spot = make_spot("S1", capacity=2)
    far_lat, far_lng = offset(LAT0, LNG0, 0, 300)
    spot2 = make_spot("S2", far_lat, far_lng, capacity=20)
    w_lat, w_lng = offset(LAT0, LNG0, 200, 100)
    return SimpleNamespace(
        spot=spot,
        spot2=spot2,
        bike=make_bike(personas.operator),
        other_bike=make_bike(personas.other_operator),
        worker=make_worker(personas.operator, "worker_q", w_lat, w_lng),
        far_worker=make_worker(personas.operator, "worker_q2", *offset(LAT0, LNG0, 2000, 0)),
        other_worker=make_worker(personas.other_operator, "worker_h", LAT0, LNG0),
    )
