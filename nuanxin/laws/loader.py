"""Load and export the law↔behaviour catalogue (YAML in, YAML/Excel out).

`catalogue_load` is idempotent: the same version with the same content is a no-op, the
same version with different content is refused (a published version is never mutated),
and a new version creates a complete new set of rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

from nuanxin.audit.services import audit_record
from nuanxin.core.errors import Conflict, DomainError
from nuanxin.laws.models import (
    Article,
    BehaviourTag,
    CatalogueVersion,
    DiscretionLevel,
    Law,
    Procedure,
    Scope,
)

LEVELS = {c.value for c in DiscretionLevel.Level}
PARTY_KINDS = {"person", "organisation"}
CONDITION_KEYS = {
    "prior_count_max",
    "prior_count_min",
    "corrected_promptly",
    "harm_in",
    "area_m2_max",
    "area_m2_min",
    "party_kind",
    "repeat_within_months_max",
    "any_of",
}


@dataclass(frozen=True)
class LoadResult:
    catalogue: CatalogueVersion
    created: bool


def pinyin_initials(text: str) -> str:
    return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER)).lower()


def _money(value: Any, where: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except Exception as exc:
        raise DomainError(
            "catalogue_invalid", _("匹配库数据有误：%(where)s 的金额无效。") % {"where": where}
        ) from exc
    if amount < 0:
        raise DomainError(
            "catalogue_invalid", _("匹配库数据有误：%(where)s 的金额为负数。") % {"where": where}
        )
    return amount


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _invalid(message: str) -> DomainError:
    return DomainError("catalogue_invalid", _("匹配库数据有误：%(detail)s") % {"detail": message})


def _check_conditions(conditions: dict[str, Any], where: str) -> None:
    for key, value in conditions.items():
        if key not in CONDITION_KEYS:
            raise _invalid(f"{where}: unknown condition '{key}'")
        if key == "any_of":
            for sub in value:
                _check_conditions(sub, where)


def _validate(data: Any) -> None:
    if not isinstance(data, dict):
        raise _invalid("not a mapping")
    for key in ("version", "effective_date", "laws", "tags"):
        if key not in data:
            raise _invalid(f"missing '{key}'")
    article_keys: set[str] = set()
    for law in data["laws"]:
        if law.get("scope") not in {s.value for s in Scope}:
            raise _invalid(f"law {law.get('key')}: scope must be national or local")
        for art in law.get("articles", []):
            if art["key"] in article_keys:
                raise _invalid(f"duplicate article key {art['key']}")
            article_keys.add(art["key"])
    for stage, refs in (data.get("ladder") or {}).items():
        for ref in refs:
            if ref not in article_keys:
                raise _invalid(f"ladder {stage}: unknown article '{ref}'")
    templates = data.get("discretion_templates", {}) or {}
    codes: set[str] = set()
    for tag in data["tags"]:
        code = tag.get("code", "?")
        if code in codes:
            raise _invalid(f"duplicate tag code {code}")
        codes.add(code)
        for ref in [*tag.get("violated", []), *tag.get("penalty", [])]:
            if ref not in article_keys:
                raise _invalid(f"tag {code}: unknown article '{ref}'")
        if not tag.get("violated") or not tag.get("penalty"):
            raise _invalid(f"tag {code}: needs violated and penalty articles")
        if tag.get("procedure") not in {p.value for p in Procedure}:
            raise _invalid(f"tag {code}: procedure must be simple or ordinary")
        if tag.get("penalty_scope") not in {s.value for s in Scope}:
            raise _invalid(f"tag {code}: penalty_scope must be national or local")
        lo = _money(tag.get("penalty_min"), code)
        hi = _money(tag.get("penalty_max"), code)
        if lo > hi:
            raise _invalid(f"tag {code}: penalty_min > penalty_max")
        if not set(tag.get("for_party_kinds") or ["person"]) <= PARTY_KINDS:
            raise _invalid(f"tag {code}: for_party_kinds must be person/organisation")
        levels = tag.get("discretion")
        if levels is None and tag.get("discretion_template"):
            if tag["discretion_template"] not in templates:
                raise _invalid(f"tag {code}: unknown template {tag['discretion_template']}")
            levels = templates[tag["discretion_template"]]
        if not levels or not any(not (lvl.get("conditions") or {}) for lvl in levels):
            raise _invalid(f"tag {code}: needs discretion levels ending in a catch-all level")
        for lvl in levels or []:
            if lvl.get("level") not in LEVELS:
                raise _invalid(f"tag {code}: unknown discretion level {lvl.get('level')}")
            _check_conditions(lvl.get("conditions") or {}, code)


def _levels_for(tag: dict[str, Any], templates: dict[str, Any]) -> list[dict[str, Any]]:
    if tag.get("discretion") is not None:
        return list(tag["discretion"])
    name = tag.get("discretion_template")
    if not name:
        return []
    lo = _money(tag["penalty_min"], tag["code"])
    hi = _money(tag["penalty_max"], tag["code"])
    out = []
    for lvl in templates[name]:
        f_lo, f_hi = (Decimal(str(x)) for x in lvl["amount_fraction"])

        def at(f: Decimal) -> Decimal:
            raw = lo + (hi - lo) * f
            return (raw / 10).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * 10

        a_lo, a_hi = at(f_lo), at(f_hi)
        if lvl["level"] == "none":
            a_lo = a_hi = Decimal("0")
        out.append(
            {
                "level": lvl["level"],
                "conditions": lvl.get("conditions") or {},
                "conditions_text": lvl.get("conditions_text", ""),
                # Lighter proposes the bottom of its band, the others its middle.
                "amount": a_lo if lvl["level"] in ("none", "lighter") else at((f_lo + f_hi) / 2),
                "amount_min": a_lo,
                "amount_max": a_hi,
                "local": True,
            }
        )
    return out


def catalogue_load_data(
    *, data: dict[str, Any], sha256: str, source_name: str = "", by: Any = None
) -> LoadResult:
    _validate(data)
    version = str(data["version"])
    existing = CatalogueVersion.objects.filter(version=version).first()
    if existing is not None:
        if existing.sha256 != sha256:
            raise Conflict(
                "catalogue_version_exists",
                _("匹配库版本 %(v)s 已存在且内容不同；请使用新的版本号。") % {"v": version},
            )
        return LoadResult(catalogue=existing, created=False)
    with transaction.atomic():
        cat = CatalogueVersion.objects.create(
            version=version,
            effective_date=_date(data["effective_date"]) or date.today(),
            sha256=sha256,
            source_name=source_name[:200],
            notes=data.get("notes", "") or "",
            ladder=data.get("ladder") or {},
            loaded_by=by if getattr(by, "is_authenticated", False) else None,
        )
        articles: dict[str, Article] = {}
        for law_data in data["laws"]:
            law = Law.objects.create(
                catalogue=cat,
                key=law_data["key"],
                title=law_data["title"],
                issuer=law_data.get("issuer", ""),
                doc_number=law_data.get("doc_number", ""),
                version_date=_date(law_data.get("version_date")),
                effective_date=_date(law_data.get("effective_date")),
                lapse_date=_date(law_data.get("lapse_date")),
                scope=law_data["scope"],
                source=law_data.get("source", ""),
                needs_verification=bool(law_data.get("needs_verification", True)),
            )
            for art in law_data.get("articles", []):
                articles[art["key"]] = Article.objects.create(
                    catalogue=cat,
                    key=art["key"],
                    law=law,
                    article_no=int(art["article"]),
                    paragraph_no=art.get("paragraph"),
                    item_no=art.get("item"),
                    text=art.get("text", "") or "",
                    summary=art.get("summary", "") or "",
                    text_complete=bool(art.get("text_complete", False)),
                    scope=art.get("scope", law_data["scope"]),
                    effective_date=_date(art.get("effective_date"))
                    or _date(law_data.get("effective_date")),
                    lapse_date=_date(art.get("lapse_date")),
                )
        templates = data.get("discretion_templates", {}) or {}
        for tag_data in data["tags"]:
            synonyms = list(tag_data.get("synonyms", []) or [])
            names = [tag_data["name"], *synonyms]
            initials = " ".join(pinyin_initials(n) for n in names)
            ranges = tag_data.get("penalty_ranges") or {}
            tag = BehaviourTag.objects.create(
                catalogue=cat,
                code=tag_data["code"],
                name=tag_data["name"],
                synonyms=synonyms,
                pinyin_initials=initials[:200],
                search_text=" ".join(names),
                category=tag_data.get("category", ""),
                description=tag_data.get("description", ""),
                penalty_text=tag_data.get("penalty_text", ""),
                penalty_min=_money(tag_data["penalty_min"], tag_data["code"]),
                penalty_max=_money(tag_data["penalty_max"], tag_data["code"]),
                penalty_ranges={
                    k: [str(_money(v[0], k)), str(_money(v[1], k))] for k, v in ranges.items()
                },
                penalty_scope=tag_data["penalty_scope"],
                penalty_source=tag_data.get("penalty_source", ""),
                leniency_allowed=bool(tag_data.get("leniency_allowed", True)),
                lookback_months=int(tag_data.get("lookback_months", 12)),
                procedure=tag_data["procedure"],
                required_documents=list(tag_data.get("required_documents", []) or []),
                for_party_kinds=list(tag_data.get("for_party_kinds", []) or ["person"]),
                remedy=tag_data.get("remedy", ""),
                correction_days=int(tag_data.get("correction_days", 3)),
            )
            tag.violated_articles.set([articles[k] for k in tag_data["violated"]])
            tag.penalty_articles.set([articles[k] for k in tag_data["penalty"]])
            for order, lvl in enumerate(_levels_for(tag_data, templates)):
                amount = lvl.get("amount")
                DiscretionLevel.objects.create(
                    tag=tag,
                    level=lvl["level"],
                    order=order,
                    conditions=lvl.get("conditions") or {},
                    conditions_text=lvl.get("conditions_text", ""),
                    amount=None if amount is None else _money(amount, tag.code),
                    amount_min=_money(lvl.get("amount_min", 0), tag.code),
                    amount_max=_money(lvl.get("amount_max", 0), tag.code),
                    local=bool(lvl.get("local", True)),
                )
        audit_record(
            actor=by,
            action="laws.catalogue_load",
            obj=cat,
            after={"version": version, "sha256": sha256, "tags": len(data["tags"])},
            actor_label="" if by is not None else "system:law_catalogue_load",
        )
    return LoadResult(catalogue=cat, created=True)


def catalogue_load(*, path: str | Path, by: Any = None) -> LoadResult:
    """Load a catalogue from a YAML or Excel file."""
    path = Path(path)
    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from nuanxin.laws.excel import catalogue_from_xlsx

        data = catalogue_from_xlsx(path)
    else:
        try:
            data = yaml.safe_load(raw.decode("utf-8"))
        except yaml.YAMLError as exc:
            raise _invalid(str(exc)) from exc
    return catalogue_load_data(data=data, sha256=sha, source_name=path.name, by=by)


def catalogue_as_data(cat: CatalogueVersion) -> dict[str, Any]:
    """The catalogue as the same structure the YAML file has (levels always explicit)."""

    def num(d: Decimal | None) -> Any:
        if d is None:
            return None
        return int(d) if d == d.to_integral_value() else str(d)

    laws = []
    for law in cat.laws.order_by("pk"):
        laws.append(
            {
                "key": law.key,
                "title": law.title,
                "issuer": law.issuer,
                "doc_number": law.doc_number,
                "version_date": law.version_date,
                "effective_date": law.effective_date,
                "lapse_date": law.lapse_date,
                "scope": law.scope,
                "source": law.source,
                "needs_verification": law.needs_verification,
                "articles": [
                    {
                        "key": a.key,
                        "article": a.article_no,
                        "paragraph": a.paragraph_no,
                        "item": a.item_no,
                        "text": a.text,
                        "text_complete": a.text_complete,
                        "summary": a.summary,
                        "scope": a.scope,
                        "effective_date": a.effective_date,
                        "lapse_date": a.lapse_date,
                    }
                    for a in law.articles.order_by("pk")
                ],
            }
        )
    tags = []
    for tag in cat.tags.order_by("pk").prefetch_related(
        "violated_articles", "penalty_articles", "levels"
    ):
        tags.append(
            {
                "code": tag.code,
                "name": tag.name,
                "synonyms": list(tag.synonyms),
                "category": tag.category,
                "description": tag.description,
                "violated": [a.key for a in tag.violated_articles.order_by("pk")],
                "penalty": [a.key for a in tag.penalty_articles.order_by("pk")],
                "penalty_text": tag.penalty_text,
                "penalty_min": num(tag.penalty_min),
                "penalty_max": num(tag.penalty_max),
                "penalty_ranges": {
                    k: [num(Decimal(v[0])), num(Decimal(v[1]))]
                    for k, v in (tag.penalty_ranges or {}).items()
                },
                "penalty_scope": tag.penalty_scope,
                "penalty_source": tag.penalty_source,
                "leniency_allowed": tag.leniency_allowed,
                "lookback_months": tag.lookback_months,
                "procedure": tag.procedure,
                "required_documents": list(tag.required_documents),
                "for_party_kinds": list(tag.for_party_kinds),
                "remedy": tag.remedy,
                "correction_days": tag.correction_days,
                "discretion": [
                    {
                        "level": lvl.level,
                        "conditions": lvl.conditions,
                        "conditions_text": lvl.conditions_text,
                        "amount": num(lvl.amount),
                        "amount_min": num(lvl.amount_min),
                        "amount_max": num(lvl.amount_max),
                        "local": lvl.local,
                    }
                    for lvl in tag.levels.order_by("order")
                ],
            }
        )
    return {
        "version": cat.version,
        "effective_date": cat.effective_date,
        "notes": cat.notes,
        "ladder": cat.ladder,
        "laws": laws,
        "tags": tags,
    }


def catalogue_to_yaml(cat: CatalogueVersion) -> str:
    return yaml.safe_dump(catalogue_as_data(cat), allow_unicode=True, sort_keys=False)
