from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def keys_root(tmp_path_factory: Any) -> Path:
    return tmp_path_factory.mktemp("signing-keys")


@pytest.fixture
def signing_keys(personas: Any, settings: Any, keys_root: Path, tmp_path: Path) -> Path:
    """A local CA, the bureau seal and every persona's signing key (shared per session)."""
    from nuanxin.documents.keys import signing_keys_ensure

    settings.SIGNING_KEYS_DIR = keys_root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    signing_keys_ensure()
    return keys_root
