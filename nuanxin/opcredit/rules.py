"""The scoring rules (data/opcredit/rules.yaml) and the pure scoring functions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.utils.translation import gettext as _

from nuanxin.core.errors import DomainError
from nuanxin.lib.env import envstr
from nuanxin.opcredit.explain import row_text

METRICS = (
    "response_time",
    "rectification_rate",
    "violations_per_100",
    "unregistered_bikes",
    "complaints",
)
PER_100 = ("violations_per_100", "complaints")
KINDS = ("monthly", "quarterly")
KIND_KEYS = ("adjusts_quota", "decides_exit")


@dataclass(frozen=True)
class Rules:
    version: str
    sha256: str
    source: str
    metrics: dict[str, dict[str, Any]]
    thresholds: dict[str, Decimal]
    outcomes: dict[str, Decimal]
    kinds: dict[str, dict[str, bool]]

    def kind(self, kind: str) -> dict[str, bool]:
        """What an assessment of `kind` does besides scoring: adjusts_quota, decides_exit."""
        return self.kinds[kind]


def rules_path() -> Path:
    return Path(
        envstr("OPCREDIT_RULES_FILE") or Path(settings.BASE_DIR) / "data/opcredit/rules.yaml"
    )


def _decimal(value: Any, key: str) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(key)
    try:
        d = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(key) from exc
    if not d.is_finite():
        raise ValueError(key)
    return d


def rules_load(path: Path | None = None) -> Rules:
    raw = (path or rules_path()).read_bytes()
    try:
        data = yaml.safe_load(raw)
        metrics = {k: dict(data["metrics"][k]) for k in METRICS}
        for k, m in metrics.items():
            if float(m["weight"]) < 0 or float(m["good"]) == float(m["bad"]):
                raise ValueError(k)
            m.setdefault("label_en", "")
            m.setdefault("explain", "")
            m.setdefault("explain_en", "")
        if float(metrics["response_time"]["unfixed_minutes"]) < 0:
            raise ValueError("unfixed_minutes")
        thresholds = {k: _decimal(v, k) for k, v in data["thresholds"].items()}
        outcomes = {k: _decimal(v, k) for k, v in data["outcomes"].items()}
        for key in ("reward_min", "reward_min_fleet", "penalty_below", "exit_below"):
            if key not in thresholds:
                raise KeyError(key)
        if thresholds["exit_consecutive"] < 1 or thresholds["exit_consecutive"] % 1:
            raise ValueError("exit_consecutive")
        for key in (
            "reward_quota_percent",
            "reward_min_bikes",
            "penalty_quota_percent",
            "penalty_min_bikes",
            "quota_cut_per_unregistered_bike",
        ):
            if outcomes[key] < 0:
                raise ValueError(key)
        for key in ("reward_min_bikes", "penalty_min_bikes", "quota_cut_per_unregistered_bike"):
            if outcomes[key] % 1:
                raise ValueError(key)
        kinds = {kind: {key: bool(data["kinds"][kind][key]) for key in KIND_KEYS} for kind in KINDS}
        return Rules(
            version=str(data["version"]),
            sha256=hashlib.sha256(raw).hexdigest(),
            source=str(data.get("source", "")),
            metrics=metrics,
            thresholds=thresholds,
            outcomes=outcomes,
            kinds=kinds,
        )
    except (KeyError, TypeError, ValueError, yaml.YAMLError) as exc:
        raise DomainError(
            "opcredit_rules_invalid", _("考核规则文件有误：%(e)s") % {"e": exc}
        ) from exc


def metric_score(value: float, good: float, bad: float) -> float:
    """100 at or better than `good`, 0 at or worse than `bad`, linear between."""
    # lower is better when good < bad, higher is better otherwise
    frac = (bad - value) / (bad - good) if good < bad else (value - bad) / (good - bad)
    return max(0.0, min(1.0, frac)) * 100.0


def q2(x: float) -> Decimal:
    return Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _note(key: str, values: dict[str, Any]) -> dict[str, Any] | None:
    """What a metric's number rests on, beyond the rule's text (structured, rendered later)."""
    if key == "response_time":
        fixed, unfixed = values.get("response_fixed", 0), values.get("penalised", 0)
        if not fixed and not unfixed:
            return {"code": "no_notices", "params": {}}
        return {
            "code": "response_mix",
            "params": {
                "fixed": fixed,
                "avg": values.get("response_fixed_avg", 0.0),
                "unfixed": unfixed,
                "k": values.get("response_unfixed_minutes", 0),
            },
        }
    if key in PER_100 and not values.get("fleet"):
        return {"code": "no_fleet_raw", "params": {}}
    return None


def score_breakdown(rules: Rules, values: dict[str, Any]) -> tuple[Decimal, list[dict]]:
    """The total and one row per metric. Each row keeps its numbers and both languages' labels
    (`v: 2`), so pages render it in the reader's language; `text` is the official Chinese."""
    total_w = sum(float(m["weight"]) for m in rules.metrics.values())
    rows, total = [], 0.0
    for key in METRICS:
        m = rules.metrics[key]
        s = metric_score(values[key], float(m["good"]), float(m["bad"]))
        points = s * float(m["weight"]) / total_w
        total += points
        row = {
            "v": 2,
            "metric": key,
            "label": m["label"],
            "label_en": m["label_en"],
            "value": round(values[key], 4),
            "good": m["good"],
            "bad": m["bad"],
            "weight": m["weight"],
            "score": round(s, 2),
            "points": round(points, 2),
            "explain": m["explain"],
            "explain_en": m["explain_en"],
            "note": _note(key, values),
        }
        row["text"] = row_text(row)
        rows.append(row)
    return q2(total), rows
