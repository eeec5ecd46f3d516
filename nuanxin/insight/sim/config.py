"""Validation of simulation configs (YAML or JSON) against a JSON Schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from django.conf import settings
from django.utils.translation import gettext as _

from nuanxin.core.errors import DomainError

_num = {"type": "number", "exclusiveMinimum": 0}
_nonneg = {"type": "number", "minimum": 0}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["duration_hours", "seeds", "walk_radius_m", "ride", "demand", "search"],
    "properties": {
        "duration_hours": {"type": "number", "exclusiveMinimum": 0, "maximum": 168},
        "seeds": {"type": "integer", "minimum": 1, "maximum": 50},
        "walk_radius_m": _nonneg,
        "full_policy": {"enum": ["nearest", "random"]},
        "ride": {
            "type": "object",
            "additionalProperties": False,
            "required": ["kind"],
            "properties": {
                "kind": {"enum": ["distance", "exponential"]},
                "mean_min": _num,
                "speed_kmh": _num,
                "detour": {"type": "number", "minimum": 1},
                "min_min": _nonneg,
                "noise_sigma": _nonneg,
            },
        },
        "rebalancing": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "interval_min": _nonneg,
                "trucks": {"type": "integer", "minimum": 0},
                "truck_capacity": {"type": "integer", "minimum": 1},
                "target_fill": {"type": "number", "minimum": 0, "maximum": 1},
            },
        },
        "demand": {
            "type": "object",
            "additionalProperties": False,
            "required": ["source"],
            "properties": {
                "source": {"enum": ["auto", "db", "gravity"]},
                "min_trips": {"type": "integer", "minimum": 0},
                "history_days": {"type": "integer", "minimum": 1, "maximum": 365},
                "daily_trips": _num,
                "gravity_scale_m": _num,
                "hourly_profile": {
                    "type": "array",
                    "items": _nonneg,
                    "minItems": 24,
                    "maxItems": 24,
                },
            },
        },
        "search": {
            "type": "object",
            "additionalProperties": False,
            "required": ["min_fleet", "max_fleet"],
            "properties": {
                "min_fleet": {"type": "integer", "minimum": 1},
                "max_fleet": {"type": "integer", "minimum": 1},
                "tolerance": {"type": "integer", "minimum": 1},
            },
        },
    },
}


def default_config_path() -> Path:
    return Path(settings.BASE_DIR) / "data" / "insight" / "fleet_size.yaml"


def parse_config_text(text: str, *, name: str = "config") -> dict[str, Any]:
    try:
        data = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise DomainError(
            "sim_config_syntax",
            _("运演配置文件无法解析（%(name)s）：%(err)s") % {"name": name, "err": exc},
        ) from exc
    return validate_config(data)


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> dict:
    p = Path(path) if path else default_config_path()
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise DomainError(
            "sim_config_missing", _("找不到运演配置文件：%(path)s") % {"path": p}
        ) from exc
    data = parse_config_text(text, name=p.name)
    if overrides:
        data = copy.deepcopy(data)
        for dotted, value in overrides.items():
            node = data
            *parents, leaf = dotted.split(".")
            for key in parents:
                node = node.setdefault(key, {})
            node[leaf] = value
        data = validate_config(data)
    return data


def validate_config(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise DomainError(
            "sim_config_invalid", _("运演配置必须是一个键值对象（YAML映射或JSON对象）。")
        )
    errors = sorted(
        jsonschema.Draft202012Validator(SCHEMA).iter_errors(data), key=lambda e: list(e.path)
    )
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in err.path) or _("（根）")
        raise DomainError(
            "sim_config_invalid",
            _("运演配置无效：%(where)s：%(msg)s") % {"where": where, "msg": err.message},
            field=where,
        )
    search = data["search"]
    if search["min_fleet"] > search["max_fleet"]:
        raise DomainError(
            "sim_config_invalid",
            _("运演配置无效：search.min_fleet 不能大于 search.max_fleet。"),
            field="search.min_fleet",
        )
    profile = data["demand"].get("hourly_profile")
    if profile is not None and sum(profile) <= 0:
        raise DomainError(
            "sim_config_invalid",
            _("运演配置无效：demand.hourly_profile 全为零。"),
            field="demand.hourly_profile",
        )
    return data
