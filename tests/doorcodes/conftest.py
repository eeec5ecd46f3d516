from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def door_code(personas: Any) -> Any:
    from nuanxin.doorcodes.services import door_code_issue

    return door_code_issue(merchant=personas.merchant_shop, by=personas.officer_a)


@pytest.fixture
def settings_site_root(settings: Any) -> Any:
    settings.SITE_ROOT = "http://testserver"
    return settings
