"""The bike policy data (data/bikes/policy.json): fix window, skew tolerance, plate format."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import translation

from nuanxin.lib.env import envint, envstr


@dataclass(frozen=True)
class BikePolicy:
    version: str
    fix_window_seconds: int
    clock_skew_tolerance_seconds: int
    late_event_tolerance_seconds: int
    position_tolerance_m: float
    plate_pattern: str
    plate_prefix: str
    plate_digits: int
    plate_description: str
    plate_description_en: str
    operator_letters: dict[str, str]
    max_batch_items: int
    vehicle_types: frozenset[str]
    propulsion_types: frozenset[str]
    spot_categories: dict[str, Any]
    retention: dict[str, Any]  # checked by nuanxin.mds.retention.retention_policy


def policy_path() -> Path:
    configured = envstr("NUANXIN_BIKE_POLICY_FILE")
    return Path(configured) if configured else Path(settings.BASE_DIR) / "data/bikes/policy.json"


@lru_cache(maxsize=1)
def bike_policy() -> BikePolicy:
    """Read once per process. FIX_WINDOW_SECONDS (env) overrides the data file's window."""
    data = json.loads(policy_path().read_text(encoding="utf-8"))
    return BikePolicy(
        version=data["version"],
        fix_window_seconds=envint("FIX_WINDOW_SECONDS", int(data["fix_window_seconds"])),
        clock_skew_tolerance_seconds=int(data["clock_skew_tolerance_seconds"]),
        late_event_tolerance_seconds=int(data["late_event_tolerance_seconds"]),
        position_tolerance_m=float(data["position_tolerance_m"]),
        plate_pattern=data["plate"]["pattern"],
        plate_prefix=data["plate"]["city_prefix"],
        plate_digits=int(data["plate"]["digits"]),
        plate_description=data["plate"]["description"],
        plate_description_en=data["plate"].get("description_en") or data["plate"]["description"],
        operator_letters=dict(data.get("operator_letters", {})),
        max_batch_items=int(data["ingest"]["max_batch_items"]),
        vehicle_types=frozenset(data["vehicle_types"]),
        propulsion_types=frozenset(data["propulsion_types"]),
        spot_categories=data["spot_categories"],
        retention=dict(data.get("retention") or {}),
    )


def plate_rule_text() -> str:
    """The plate format as the data describes it, in the reader's language (the data file
    has a Chinese `description` and an English `description_en`)."""
    policy = bike_policy()
    language = translation.get_language() or ""
    return policy.plate_description_en if language.startswith("en") else policy.plate_description
