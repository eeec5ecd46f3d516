"""Compliance settings: bike policy data (data/bikes/policy.json), overridable by env."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from nuanxin.compliance.engine import EngineConfig
from nuanxin.lib.env import envint, envstr


@dataclass(frozen=True)
class LoopConfig:
    fix_window_seconds: int
    clock_skew_seconds: int
    late_event_seconds: int

    @property
    def grace_seconds(self) -> int:
        """How long after the deadline a penalty waits for late or skewed evidence."""
        return self.clock_skew_seconds + self.late_event_seconds


_parsed: tuple[str, int, dict] | None = None


def _policy() -> dict:
    """The policy data file, parsed again only when it changes (checked by its mtime, so an
    edit by the bureau applies to the next batch without a restart)."""
    global _parsed
    try:
        from nuanxin.bikes.policy import policy_path

        path = Path(policy_path())
    except ImportError:  # pragma: no cover - the bikes app always ships it
        path = Path(settings.BASE_DIR) / "data/bikes/policy.json"
    stamp = path.stat().st_mtime_ns
    cached = _parsed
    if cached is not None and cached[0] == str(path) and cached[1] == stamp:
        return cached[2]
    data = json.loads(path.read_text(encoding="utf-8"))
    _parsed = (str(path), stamp, data)
    return data


def _float_env(name: str, default: float) -> float:
    raw = envstr(name)
    return float(raw) if raw else default


def engine_config() -> EngineConfig:
    data = _policy()
    return EngineConfig(
        tolerance_m=_float_env("COMPLIANCE_TOLERANCE_M", float(data["position_tolerance_m"])),
        missing_accuracy_m=_float_env("COMPLIANCE_MISSING_ACCURACY_M", 0.0),
        beacon_range_m=_float_env("COMPLIANCE_BEACON_RANGE_M", 5.0),
    )


def loop_config() -> LoopConfig:
    """The fix window: policy data, overridden by settings.FIX_WINDOW_SECONDS (env)."""
    data = _policy()
    window = getattr(settings, "FIX_WINDOW_SECONDS", None) or envint("FIX_WINDOW_SECONDS", 0)
    return LoopConfig(
        fix_window_seconds=int(window or data["fix_window_seconds"]),
        clock_skew_seconds=envint("NOTICE_SKEW_SECONDS", int(data["clock_skew_tolerance_seconds"])),
        late_event_seconds=envint(
            "NOTICE_LATE_EVENT_SECONDS", int(data["late_event_tolerance_seconds"])
        ),
    )
