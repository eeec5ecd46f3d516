from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _fresh_index() -> Any:
    from nuanxin.compliance.index import index_clear

    index_clear()
    yield
    index_clear()
