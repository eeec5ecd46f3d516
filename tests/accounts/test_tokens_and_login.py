from __future__ import annotations

import pytest

from nuanxin.accounts.models import ApiToken
from nuanxin.accounts.selectors import api_token_authenticate
from nuanxin.accounts.services import api_token_issue, api_token_revoke
from nuanxin.audit.models import AuditEvent
from nuanxin.core.errors import DomainError


@pytest.mark.django_db
def test_a_token_is_stored_hashed_and_authenticates(personas: object) -> None:
    token, raw = api_token_issue(name="qingju", by=personas.admin, operator=personas.operator)  # type: ignore[attr-defined]
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in (stored.key_hash, stored.prefix) and stored.key_hash == ApiToken.hash_secret(
        raw
    )
    assert api_token_authenticate(raw) == token
    assert AuditEvent.objects.filter(action="api_token.issue", object_id=str(token.pk)).exists()


@pytest.mark.django_db
def test_a_revoked_token_no_longer_authenticates(personas: object) -> None:
    token, raw = api_token_issue(name="qingju", by=personas.admin, operator=personas.operator)  # type: ignore[attr-defined]
    api_token_revoke(token=token, by=personas.admin)  # type: ignore[attr-defined]
    assert api_token_authenticate(raw) is None


@pytest.mark.django_db
def test_a_token_must_have_exactly_one_scope(personas: object) -> None:
    with pytest.raises(DomainError):
        api_token_issue(name="both", by=None, operator=personas.operator, integration="open311")  # type: ignore[attr-defined]
    with pytest.raises(DomainError):
        api_token_issue(name="none", by=None)
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_login_locks_out_after_repeated_failures(client: object, personas: object) -> None:
    for _ in range(5):
        client.post(
            "/accounts/login/",
            {"username": "officer_a", "password": "wrong"},
            REMOTE_ADDR="10.0.0.9",
        )  # type: ignore[attr-defined]
    response = client.post(
        "/accounts/login/",
        {"username": "officer_a", "password": personas.PASSWORD},
        REMOTE_ADDR="10.0.0.9",
    )  # type: ignore[attr-defined]
    assert response.status_code == 429
    assert "锁定" in response.content.decode()


@pytest.mark.django_db
def test_staff_home_needs_login(client: object, personas: object) -> None:
    assert client.get("/staff/").status_code == 302  # type: ignore[attr-defined]
    client.force_login(personas.officer_a, backend="django.contrib.auth.backends.ModelBackend")  # type: ignore[attr-defined]
    assert client.get("/staff/").status_code == 200  # type: ignore[attr-defined]


def test_production_refuses_the_default_secret() -> None:
    import subprocess
    import sys

    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "nuanxin.settings",
        "NUANXIN_VAR_DIR": "/tmp/nx-prod-check",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_check_deploy_is_clean_with_production_settings() -> None:
    import subprocess
    import sys

    env = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "x" * 64 + "-Prod-Secret-!@#$%^&*()",
        "ALLOWED_HOSTS": "nuanxin.example.gov.cn",
        "NUANXIN_VAR_DIR": "/tmp/nx-prod-check",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
