"""The compliance settings follow the bureau's edits of the bike policy data file."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from nuanxin.compliance.config import engine_config, loop_config


def test_an_edited_policy_file_applies_without_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMPLIANCE_TOLERANCE_M", raising=False)
    monkeypatch.delenv("NOTICE_SKEW_SECONDS", raising=False)
    monkeypatch.setattr(settings, "FIX_WINDOW_SECONDS", None, raising=False)
    monkeypatch.delenv("FIX_WINDOW_SECONDS", raising=False)
    path = tmp_path / "policy.json"
    shutil.copy(Path(settings.BASE_DIR) / "data/bikes/policy.json", path)
    monkeypatch.setenv("NUANXIN_BIKE_POLICY_FILE", str(path))
    data = json.loads(path.read_text(encoding="utf-8"))
    assert loop_config().fix_window_seconds == data["fix_window_seconds"]
    assert engine_config().tolerance_m == float(data["position_tolerance_m"])

    data["fix_window_seconds"], data["position_tolerance_m"] = 600, 2.5
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a later edit
    assert loop_config().fix_window_seconds == 600
    assert engine_config().tolerance_m == 2.5
