"""Standardised discretion (裁量基准): propose a level and an amount from the facts.

`facts` keys (all optional):
- `prior_count_in_window` (int): the party's earlier violations of this tag inside the tag's
  look-back window (the violations app computes it). Default 0.
- `corrected_promptly` (bool): the party corrected at once / before the deadline. Default False.
- `harm` ("none" | "minor" | "serious"): the harm caused. Default "minor".
- `area_m2` (number): area occupied (占道 / 堆物), where the tag's levels use it.
- `repeat_within_months` (int): months since the previous violation, if any.

A level's `conditions` (data, in the catalogue) may use: `prior_count_max`, `prior_count_min`,
`corrected_promptly`, `harm_in`, `area_m2_max`, `area_m2_min`, `party_kind`,
`repeat_within_months_max`, and `any_of` (a list of condition sets, any one of which holds).
Levels are tried in catalogue order; the first whose conditions all hold is proposed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from nuanxin.core.errors import DomainError
from nuanxin.laws.models import BehaviourTag, DiscretionLevel

HARMS = ("none", "minor", "serious")
PARTY_KINDS = ("person", "organisation")


@dataclass(frozen=True)
class DiscretionProposal:
    level: str
    level_label: str
    amount: Decimal
    amount_min: Decimal
    amount_max: Decimal
    reasons: list[str] = field(default_factory=list)
    catalogue_version: str = ""
    conditions_text: str = ""
    local: bool = True


def _normalise_facts(facts: dict[str, Any]) -> dict[str, Any]:
    out = dict(facts or {})
    out["prior_count_in_window"] = int(out.get("prior_count_in_window") or 0)
    if out["prior_count_in_window"] < 0:
        raise DomainError("facts_invalid", _("违法次数不能为负数。"))
    out["corrected_promptly"] = bool(out.get("corrected_promptly", False))
    harm = out.get("harm") or "minor"
    if harm not in HARMS:
        raise DomainError(
            "facts_invalid", _("危害后果须为 none、minor 或 serious：%(h)s") % {"h": harm}
        )
    out["harm"] = harm
    if out.get("area_m2") not in (None, ""):
        try:
            out["area_m2"] = Decimal(str(out["area_m2"]))
        except Exception as exc:
            raise DomainError("facts_invalid", _("面积须为数字。")) from exc
        if out["area_m2"] < 0:
            raise DomainError("facts_invalid", _("面积不能为负数。"))
    else:
        out["area_m2"] = None
    return out


def conditions_hold(conditions: dict[str, Any], facts: dict[str, Any], party_kind: str) -> bool:
    for key, want in conditions.items():
        if key == "prior_count_max" and facts["prior_count_in_window"] > int(want):
            return False
        if key == "prior_count_min" and facts["prior_count_in_window"] < int(want):
            return False
        if key == "corrected_promptly" and facts["corrected_promptly"] != bool(want):
            return False
        if key == "harm_in" and facts["harm"] not in want:
            return False
        if key == "party_kind" and party_kind not in want:
            return False
        if key == "area_m2_max" and (
            facts["area_m2"] is None or facts["area_m2"] > Decimal(str(want))
        ):
            return False
        if key == "area_m2_min" and (
            facts["area_m2"] is None or facts["area_m2"] < Decimal(str(want))
        ):
            return False
        if key == "repeat_within_months_max":
            months = facts.get("repeat_within_months")
            if months is None or int(months) > int(want):
                return False
        if key == "any_of" and not any(conditions_hold(c, facts, party_kind) for c in want):
            return False
    return True


def _clamp(value: Decimal, lo: Decimal, hi: Decimal) -> Decimal:
    return min(max(value, lo), hi)


def discretion_propose(
    *, tag: BehaviourTag, party_kind: str, facts: dict[str, Any]
) -> DiscretionProposal:
    if party_kind not in PARTY_KINDS:
        raise DomainError("party_kind_invalid", _("当事人类型无效。"))
    norm = _normalise_facts(facts)
    levels = list(tag.levels.order_by("order"))
    chosen: DiscretionLevel | None = None
    for lvl in levels:
        if conditions_hold(lvl.conditions or {}, norm, party_kind):
            chosen = lvl
            break
    statute_lo, statute_hi = tag.range_for(party_kind)
    penalty_cites = "、".join(a.full_citation for a in tag.penalty_articles.all())
    reasons: list[str] = []
    if chosen is None:
        raise DomainError(
            "discretion_missing",
            _("行为“%(tag)s”在匹配库中没有适用的裁量基准。") % {"tag": tag.name},
        )
    if chosen.level == DiscretionLevel.Level.NONE:
        amount = lo = hi = Decimal("0.00")
        reasons.append(
            _(
                "%(cond)s，依据《中华人民共和国行政处罚法》第三十三条，可以不予行政处罚，应当对当事人进行教育。"
            )
            % {"cond": chosen.conditions_text or _("符合不予处罚条件")}
        )
    else:
        # A level's amounts never leave the statutory range for this kind of party.
        lo = _clamp(chosen.amount_min, statute_lo, statute_hi)
        hi = _clamp(chosen.amount_max, lo, statute_hi)
        base = chosen.amount if chosen.amount is not None else lo
        amount = _clamp(base, lo, hi)
        reasons.append(
            _("适用裁量等级“%(level)s”：%(cond)s。")
            % {"level": chosen.get_level_display(), "cond": chosen.conditions_text or "—"}
        )
        reasons.append(
            _("处罚依据%(cites)s，法定幅度 %(lo)s 元至 %(hi)s 元%(local)s。")
            % {
                "cites": penalty_cites,
                "lo": statute_lo,
                "hi": statute_hi,
                "local": _("（地方规定，可替换）") if tag.penalty_scope == "local" else "",
            }
        )
    reasons.append(
        _("裁量基准依据《中华人民共和国行政处罚法》第三十四条；匹配库版本 %(v)s。")
        % {"v": tag.catalogue.version}
    )
    return DiscretionProposal(
        level=chosen.level,
        level_label=str(chosen.get_level_display()),
        amount=amount.quantize(Decimal("0.01")),
        amount_min=lo.quantize(Decimal("0.01")),
        amount_max=hi.quantize(Decimal("0.01")),
        reasons=[str(r) for r in reasons],
        catalogue_version=tag.catalogue.version,
        conditions_text=chosen.conditions_text,
        local=chosen.local,
    )
