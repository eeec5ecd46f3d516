"""The demo city is deterministic and idempotent: a second run adds nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label.startswith(
            (
                "orgs",
                "accounts",
                "merchants",
                "doorcodes",
                "feedback",
                "credit",
                "laws",
                "violations",
                "cases",
                "bikes",
            )
        )
        and not model._meta.label.startswith("audit")
    }


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_seed_demo_twice_adds_nothing(tmp_path: Path) -> None:
    accounts = tmp_path / "demo-accounts.json"
    call_command("seed_demo", "--scale", "0.02", "--accounts-file", str(accounts))
    first = _row_counts()
    call_command("seed_demo", "--scale", "0.02", "--accounts-file", str(accounts))
    assert _row_counts() == first
    payload = json.loads(accounts.read_text(encoding="utf-8"))
    assert set(payload) >= {"base_url", "users", "operators", "open311_api_key"}
    roles = {user["role"] for user in payload["users"]}
    assert {"officer", "chief", "reviewer", "dispatcher", "bureau_admin"} <= roles
    assert all(set(u) >= {"username", "password", "role", "district"} for u in payload["users"])


@pytest.mark.django_db
def test_seed_demo_refuses_outside_demo_mode(settings: object) -> None:
    from django.core.management.base import CommandError

    settings.DEMO_MODE = False  # type: ignore[attr-defined]
    settings.DEBUG = False  # type: ignore[attr-defined]
    settings.TESTING = False  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="NUANXIN_DEMO"):
        call_command("seed_demo")
