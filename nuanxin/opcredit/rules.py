"""The scoring rules (data/opcredit/rules.yaml) and the pure scoring functions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.utils.translation import gettext as _

from nuanxin.core.errors import DomainError
from nuanxin.lib.env import envstr

METRICS = (
    "response_time",
    "rectification_rate",
    "violations_per_100",
    "unregistered_bikes",
    "complaints",
)


@dataclass(frozen=True)
class Rules:
    version: str
    sha256: str
    source: str
    metrics: dict[str, dict[str, Any]]
    thresholds: dict[str, float]
    outcomes: dict[str, float]


def rules_path() -> Path:
    return Path(
        envstr("OPCREDIT_RULES_FILE") or Path(settings.BASE_DIR) / "data/opcredit/rules.yaml"
    )


def rules_load(path: Path | None = None) -> Rules:
    raw = (path or rules_path()).read_bytes()
    try:
        data = yaml.safe_load(raw)
        metrics = {k: dict(data["metrics"][k]) for k in METRICS}
        for k, m in metrics.items():
            if float(m["weight"]) < 0 or float(m["good"]) == float(m["bad"]):
                raise ValueError(k)
        return Rules(
            version=str(data["version"]),
            sha256=hashlib.sha256(raw).hexdigest(),
            source=str(data.get("source", "")),
            metrics=metrics,
            thresholds={k: float(v) for k, v in data["thresholds"].items()},
            outcomes={k: float(v) for k, v in data["outcomes"].items()},
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


def score_breakdown(rules: Rules, values: dict[str, float]) -> tuple[Decimal, list[dict]]:
    total_w = sum(float(m["weight"]) for m in rules.metrics.values())
    rows, total = [], 0.0
    for key in METRICS:
        m = rules.metrics[key]
        s = metric_score(values[key], float(m["good"]), float(m["bad"]))
        points = s * float(m["weight"]) / total_w
        total += points
        rows.append(
            {
                "metric": key,
                "label": m["label"],
                "value": round(values[key], 4),
                "good": m["good"],
                "bad": m["bad"],
                "weight": m["weight"],
                "score": round(s, 2),
                "points": round(points, 2),
                "explain": m.get("explain", ""),
                "text": _(
                    "%(label)s：实际 %(value)s（满分线 %(good)s，零分线 %(bad)s），得 %(score).2f 分，"
                    "权重 %(weight)s，折合 %(points).2f 分。"
                )
                % {
                    "label": m["label"],
                    "value": round(values[key], 4),
                    "good": m["good"],
                    "bad": m["bad"],
                    "score": s,
                    "weight": m["weight"],
                    "points": points,
                },
            }
        )
    return q2(total), rows
