"""Loading the bureau's credit rules (data/credit/rules.yaml) and computing a score from them.

The computation is a pure function of (rules, events, as_of), so the incremental update
after each event and `credit_recompute` cannot disagree: both call `score_compute`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.lib.env import envstr

ONE_PLACE = Decimal("0.1")


def rules_path() -> Path:
    configured = envstr("NUANXIN_CREDIT_RULES", "")
    if configured:
        return Path(configured)
    return Path(settings.BASE_DIR) / "data" / "credit" / "rules.yaml"


@dataclass(frozen=True)
class KindRule:
    kind: str
    label: str
    points: Decimal = Decimal(0)
    points_by_value: dict[int, Decimal] = field(default_factory=dict)
    window_days: int = 365
    cap_min: Decimal | None = None
    cap_max: Decimal | None = None

    def points_for(self, value: Decimal | None) -> Decimal:
        if self.points_by_value:
            if value is None:
                return Decimal(0)
            return self.points_by_value.get(int(value), Decimal(0))
        return self.points


@dataclass(frozen=True)
class LevelRule:
    level: str
    min: Decimal
    label: str


@dataclass(frozen=True)
class CreditRules:
    version: str
    effective_from: dt.date
    title: str
    base_score: Decimal
    min_score: Decimal
    max_score: Decimal
    levels: tuple[LevelRule, ...]
    kinds: dict[str, KindRule]
    source: str = ""

    def level_for(self, score: Decimal) -> str:
        for rule in self.levels:
            if score >= rule.min:
                return rule.level
        return self.levels[-1].level

    def level_label(self, level: str) -> str:
        for rule in self.levels:
            if rule.level == level:
                return rule.label
        return ""

    @property
    def base_level(self) -> str:
        return self.level_for(self.base_score)


class RulesError(ValueError):
    pass


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def rules_parse(data: dict[str, Any]) -> CreditRules:
    """Validate and build the rules; a clear RulesError names the bad entry."""
    try:
        kinds: dict[str, KindRule] = {}
        for kind, spec in (data.get("kinds") or {}).items():
            spec = spec or {}
            if "points" not in spec and "points_by_value" not in spec:
                raise RulesError(f"kinds.{kind}: needs points or points_by_value")
            kinds[kind] = KindRule(
                kind=kind,
                label=str(spec.get("label", kind)),
                points=_dec(spec.get("points", 0)),
                points_by_value={
                    int(k): _dec(v) for k, v in (spec.get("points_by_value") or {}).items()
                },
                window_days=int(spec.get("window_days", 365)),
                cap_min=_dec(spec["cap_min"]) if "cap_min" in spec else None,
                cap_max=_dec(spec["cap_max"]) if "cap_max" in spec else None,
            )
        levels = tuple(
            sorted(
                (
                    LevelRule(level=str(x["level"]), min=_dec(x["min"]), label=str(x["label"]))
                    for x in data["levels"]
                ),
                key=lambda r: r.min,
                reverse=True,
            )
        )
        if not levels:
            raise RulesError("levels: at least one level is required")
        effective = data["effective_from"]
        if isinstance(effective, str):
            effective = dt.date.fromisoformat(effective)
        return CreditRules(
            version=str(data["version"]),
            effective_from=effective,
            title=str(data.get("title", "")),
            source=str(data.get("source", "")),
            base_score=_dec(data["base_score"]),
            min_score=_dec(data.get("min_score", 0)),
            max_score=_dec(data.get("max_score", 100)),
            levels=levels,
            kinds=kinds,
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        if isinstance(exc, RulesError):
            raise
        raise RulesError(f"credit rules are malformed: {exc!r}") from exc


_CACHE: dict[tuple[str, float], CreditRules] = {}


def rules_current() -> CreditRules:
    """The rules in force, re-read when the file changes (no restart needed)."""
    path = rules_path()
    key = (str(path), path.stat().st_mtime)
    cached = _CACHE.get(key)
    if cached is None:
        with path.open(encoding="utf-8") as f:
            cached = rules_parse(yaml.safe_load(f))
        _CACHE.clear()
        _CACHE[key] = cached
    return cached


@dataclass(frozen=True)
class BreakdownLine:
    """One explained contribution to the score."""

    points: Decimal
    kind: str
    label: str
    text: str
    event_id: int | None = None
    occurred_at: dt.datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "points": str(self.points),
            "kind": self.kind,
            "label": self.label,
            "text": self.text,
            "event_id": self.event_id,
            "occurred_at": self.occurred_at.isoformat() if self.occurred_at else None,
        }


@dataclass(frozen=True)
class ScoreResult:
    score: Decimal
    level: str
    rules_version: str
    lines: tuple[BreakdownLine, ...]

    def breakdown(self) -> list[dict[str, Any]]:
        return [line.as_dict() for line in self.lines]


def format_points(points: Decimal) -> str:
    text = f"{points.normalize():f}"
    if points > 0:
        return f"+{text}"
    if points < 0:
        return "−" + text.lstrip("-")
    return "±0"


def score_compute(*, rules: CreditRules, events: list[Any], as_of: dt.datetime) -> ScoreResult:
    """Base score plus each event inside its kind's window; per-kind caps; overall clamp.

    `events` need `pk`, `kind`, `value`, `occurred_at`, `source_label`.
    """
    lines: list[BreakdownLine] = [
        BreakdownLine(
            points=rules.base_score,
            kind="base",
            label=_("基础分"),
            text=_("基础分 %(points)s（规则 %(version)s）")
            % {"points": rules.base_score, "version": rules.version},
        )
    ]
    total = rules.base_score
    for kind, rule in rules.kinds.items():
        since = as_of - dt.timedelta(days=rule.window_days)
        subtotal = Decimal(0)
        for event in sorted(
            (e for e in events if e.kind == kind), key=lambda e: (e.occurred_at, e.pk or 0)
        ):
            if not (since < event.occurred_at <= as_of):
                continue
            points = rule.points_for(event.value)
            if points == 0:
                continue
            subtotal += points
            day = timezone.localtime(event.occurred_at).date().isoformat()
            reference = event.source_label or (f"#{event.pk}" if event.pk else "")
            lines.append(
                BreakdownLine(
                    points=points,
                    kind=kind,
                    label=rule.label,
                    text=f"{format_points(points)}: {rule.label} {reference} "
                    + _("于 %(day)s") % {"day": day},
                    event_id=event.pk,
                    occurred_at=event.occurred_at,
                )
            )
        capped = subtotal
        if rule.cap_min is not None and capped < rule.cap_min:
            capped = rule.cap_min
        if rule.cap_max is not None and capped > rule.cap_max:
            capped = rule.cap_max
        if capped != subtotal:
            adjustment = capped - subtotal
            lines.append(
                BreakdownLine(
                    points=adjustment,
                    kind=kind,
                    label=rule.label,
                    text=f"{format_points(adjustment)}: "
                    + _("%(label)s近%(days)s天合计封顶 %(cap)s")
                    % {"label": rule.label, "days": rule.window_days, "cap": format_points(capped)},
                )
            )
        total += capped
    clamped = min(max(total, rules.min_score), rules.max_score)
    if clamped != total:
        lines.append(
            BreakdownLine(
                points=clamped - total,
                kind="clamp",
                label=_("分值范围"),
                text=f"{format_points(clamped - total)}: "
                + _("总分限定在 %(lo)s–%(hi)s") % {"lo": rules.min_score, "hi": rules.max_score},
            )
        )
    score = clamped.quantize(ONE_PLACE)
    return ScoreResult(
        score=score, level=rules.level_for(score), rules_version=rules.version, lines=tuple(lines)
    )
