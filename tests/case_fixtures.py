"""Fixtures shared by the cases and deliveries tests (real keys, real signed documents)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone


@pytest.fixture(scope="session")
def case_keys_root(tmp_path_factory: Any) -> Path:
    return tmp_path_factory.mktemp("case-signing-keys")


@pytest.fixture
def signing_keys(personas: Any, settings: Any, case_keys_root: Path, tmp_path: Path) -> Path:
    """The local CA, bureau seal and persona keys, so documents are really signed."""
    from nuanxin.documents.keys import signing_keys_ensure

    settings.SIGNING_KEYS_DIR = case_keys_root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    signing_keys_ensure()
    return case_keys_root


def make_proposal(
    level: str = "general", amount: str | None = "1000.00", lo: str = "500", hi: str = "2000"
) -> Any:
    from nuanxin.cases.services import Proposal

    return Proposal(
        level=level,
        amount=Decimal(amount) if amount is not None else None,
        amount_min=Decimal(lo),
        amount_max=Decimal(hi),
        reasons=["首次被处罚，一般情节"],
        catalogue_version="2026.1",
        tag_code="outside_shop",
        tag_name="店外经营",
        articles_violated=[{"citation": "《城市市容和环境卫生管理条例》第十四条", "text": "…"}],
        articles_penalty=[{"citation": "《城市市容和环境卫生管理条例》第三十六条", "text": "…"}],
    )


@pytest.fixture
def proposal() -> Any:
    return make_proposal()


@pytest.fixture
def file_case(personas: Any, proposal: Any) -> Any:
    from nuanxin.cases.services import case_file

    def make(**overrides: Any) -> Any:
        args: dict[str, Any] = {
            "by": personas.officer_a,
            "second_officer": personas.officer_a2,
            "party": personas.merchant_shop,
            "proposal": proposal,
            "facts": "在店门外人行道摆放桌椅经营烧烤，占用人行道约12平方米。",
            "place": "谯城区人民路18号门前",
            "occurred_at": timezone.now() - dt.timedelta(hours=2),
        }
        args.update(overrides)
        return case_file(**args)

    return make
