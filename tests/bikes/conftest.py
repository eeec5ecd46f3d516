"""MDS Agency clients for the registry tests (the `Agency` helper of tests/mds)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from nuanxin.accounts.services import api_token_issue
from tests.mds.conftest import Agency


@pytest.fixture
def agency(personas: Any) -> Agency:
    _token, raw = api_token_issue(name="qingju MDS", by=None, operator=personas.operator)
    return Agency(personas.operator, raw, Client(), "Q")
