"""Excel import/export of the catalogue (one sheet per record kind; lists as JSON cells)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from nuanxin.laws.models import CatalogueVersion

META_SHEET = "catalogue"
LAW_COLUMNS = [
    "key", "title", "issuer", "doc_number", "version_date", "effective_date",
    "lapse_date", "scope", "source", "needs_verification",
]  # fmt: skip
ARTICLE_COLUMNS = [
    "law", "key", "article", "paragraph", "item", "text", "text_complete", "summary",
    "scope", "effective_date", "lapse_date",
]  # fmt: skip
TAG_COLUMNS = [
    "code", "name", "synonyms", "category", "description", "violated", "penalty",
    "penalty_text", "penalty_min", "penalty_max", "penalty_ranges", "penalty_scope",
    "penalty_source", "leniency_allowed", "lookback_months", "procedure",
    "required_documents", "for_party_kinds", "remedy", "correction_days",
]  # fmt: skip
LEVEL_COLUMNS = [
    "tag", "level", "conditions", "conditions_text", "amount", "amount_min", "amount_max", "local",
]  # fmt: skip
JSON_COLUMNS = {
    "synonyms", "violated", "penalty", "penalty_ranges", "required_documents",
    "for_party_kinds", "conditions",
}  # fmt: skip


STRING_COLUMNS = {
    "title", "issuer", "doc_number", "source", "text", "summary", "name", "category",
    "description", "penalty_text", "penalty_source", "remedy", "conditions_text", "notes",
}  # fmt: skip


def _cell(column: str, value: Any) -> Any:
    if column in JSON_COLUMNS:
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _value(column: str, value: Any) -> Any:
    if column in JSON_COLUMNS:
        if value in (None, ""):
            return {} if column in ("conditions", "penalty_ranges") else []
        return json.loads(value)
    if isinstance(value, datetime):
        return value.date()
    if value is None and column in STRING_COLUMNS:
        return ""
    return value


def catalogue_to_xlsx(cat: CatalogueVersion, path: str | Path) -> None:
    from nuanxin.laws.loader import catalogue_as_data

    data = catalogue_as_data(cat)
    wb = Workbook()
    meta = wb.active
    assert meta is not None
    meta.title = META_SHEET
    meta.append(["version", data["version"]])
    meta.append(["effective_date", data["effective_date"].isoformat()])
    meta.append(["notes", data["notes"]])
    meta.append(["ladder", json.dumps(data["ladder"], ensure_ascii=False)])
    laws = wb.create_sheet("laws")
    laws.append(LAW_COLUMNS)
    articles = wb.create_sheet("articles")
    articles.append(ARTICLE_COLUMNS)
    for law in data["laws"]:
        laws.append([_cell(c, law[c]) for c in LAW_COLUMNS])
        for art in law["articles"]:
            row = {"law": law["key"], **art}
            articles.append([_cell(c, row.get(c)) for c in ARTICLE_COLUMNS])
    tags = wb.create_sheet("tags")
    tags.append(TAG_COLUMNS)
    levels = wb.create_sheet("discretion")
    levels.append(LEVEL_COLUMNS)
    for tag in data["tags"]:
        tags.append([_cell(c, tag.get(c)) for c in TAG_COLUMNS])
        for lvl in tag["discretion"]:
            row = {"tag": tag["code"], **lvl}
            levels.append([_cell(c, row.get(c)) for c in LEVEL_COLUMNS])
    wb.save(path)


def _rows(ws: Any, columns: list[str]) -> list[dict[str, Any]]:
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    out = []
    for raw in rows[1:]:
        if all(v in (None, "") for v in raw):
            continue
        rec = dict(zip(header, raw, strict=False))
        out.append({c: _value(c, rec.get(c)) for c in columns if c in rec})
    return out


def catalogue_from_xlsx(path: str | Path) -> dict[str, Any]:
    wb = load_workbook(path, read_only=True, data_only=True)
    meta = {row[0]: row[1] for row in wb[META_SHEET].iter_rows(values_only=True) if row[0]}
    laws = _rows(wb["laws"], LAW_COLUMNS)
    by_key = {law["key"]: {**law, "articles": []} for law in laws}
    for art in _rows(wb["articles"], ARTICLE_COLUMNS):
        by_key[art.pop("law")]["articles"].append(art)
    tags = _rows(wb["tags"], TAG_COLUMNS)
    tag_by_code = {t["code"]: {**t, "discretion": []} for t in tags}
    for lvl in _rows(wb["discretion"], LEVEL_COLUMNS):
        tag_by_code[lvl.pop("tag")]["discretion"].append(lvl)
    return {
        "version": str(meta["version"]),
        "effective_date": str(meta["effective_date"]),
        "notes": meta.get("notes") or "",
        "ladder": json.loads(str(meta["ladder"])) if meta.get("ladder") else {},
        "laws": list(by_key.values()),
        "tags": list(tag_by_code.values()),
    }
