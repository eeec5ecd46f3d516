from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "law" / "catalogue.yaml"


@pytest.fixture
def catalogue(db: Any) -> Any:
    from nuanxin.laws.loader import catalogue_load

    return catalogue_load(path=CATALOGUE).catalogue
