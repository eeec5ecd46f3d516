"""Document types as versioned data: data/documents/<doc_type>.yaml.

`doc_type_spec(doc_type)` loads and caches one declaration; `context_clean(spec, context)`
checks a caller's context against the declared fields and normalises the values the
renderer needs (money as Decimal, articles and evidence as lists of dicts).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.utils.translation import gettext as _

from nuanxin.core.errors import DomainError

DATA_DIR = Path(settings.BASE_DIR) / "data" / "documents"
FIELD_TYPES = {"text", "longtext", "money", "date", "datetime", "articles", "evidence", "list"}
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    type: str = "text"
    required: bool = True


@dataclass(frozen=True)
class DocTypeSpec:
    doc_type: str
    version: str
    title: str
    number_prefix: str
    seal_required: bool
    legal_basis: str
    fields: dict[str, FieldSpec]
    layout: list[dict[str, Any]]
    file_sha256: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def required_fields(self) -> list[FieldSpec]:
        return [f for f in self.fields.values() if f.required]


def doc_type_names() -> list[str]:
    return sorted(p.stem for p in DATA_DIR.glob("*.yaml"))


@cache
def doc_type_spec(doc_type: str) -> DocTypeSpec:
    if not re.fullmatch(r"[a-z_]+", doc_type or ""):
        raise DomainError("unknown_doc_type", _("未知的文书类型：%(t)s") % {"t": doc_type})
    path = DATA_DIR / f"{doc_type}.yaml"
    if not path.exists():
        raise DomainError("unknown_doc_type", _("未知的文书类型：%(t)s") % {"t": doc_type})
    raw_bytes = path.read_bytes()
    raw = yaml.safe_load(raw_bytes)
    fields: dict[str, FieldSpec] = {}
    for key, decl in (raw.get("fields") or {}).items():
        ftype = decl.get("type", "text")
        if ftype not in FIELD_TYPES:
            raise ValueError(f"{path}: field {key} has unknown type {ftype}")
        fields[key] = FieldSpec(
            key=key, label=decl["label"], type=ftype, required=decl.get("required", True)
        )
    for block in raw.get("layout") or []:
        if "field" in block and block["field"] not in fields:
            raise ValueError(f"{path}: layout names undeclared field {block['field']}")
    return DocTypeSpec(
        doc_type=raw["doc_type"],
        version=str(raw["version"]),
        title=raw["title"],
        number_prefix=raw["number_prefix"],
        seal_required=bool(raw.get("seal_required", False)),
        legal_basis=raw.get("legal_basis", ""),
        fields=fields,
        layout=list(raw.get("layout") or []),
        file_sha256=hashlib.sha256(raw_bytes).hexdigest(),
    )


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple | dict) and len(value) == 0)


def _clean_value(spec: FieldSpec, value: Any) -> Any:
    if spec.type == "money":
        try:
            amount = Decimal(str(value)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError) as exc:
            raise DomainError(
                "bad_context", _("“%(label)s”不是有效金额。") % {"label": spec.label}
            ) from exc
        if amount < 0:
            raise DomainError("bad_context", _("“%(label)s”不能为负数。") % {"label": spec.label})
        return amount
    if spec.type in {"date", "datetime"}:
        if isinstance(value, dt.datetime | dt.date):
            return value
        return str(value)
    if spec.type == "articles":
        items = value if isinstance(value, list | tuple) else [value]
        out = []
        for item in items:
            if isinstance(item, str):
                out.append({"citation": "", "text": item})
            elif isinstance(item, dict) and item.get("text"):
                out.append({"citation": str(item.get("citation", "")), "text": str(item["text"])})
            else:
                raise DomainError(
                    "bad_context",
                    _("“%(label)s”的每一条须包含条文原文（text）。") % {"label": spec.label},
                )
        return out
    if spec.type == "evidence":
        out = []
        for item in value if isinstance(value, list | tuple) else [value]:
            name = str(item.get("name", "")) if isinstance(item, dict) else ""
            digest = str(item.get("sha256", "")).lower() if isinstance(item, dict) else ""
            if not name or not SHA256_RE.match(digest):
                raise DomainError(
                    "bad_context",
                    _("证据清单的每一项须有名称和64位十六进制SHA-256值。"),
                )
            out.append({"name": name, "sha256": digest})
        return out
    if spec.type == "list":
        items = value if isinstance(value, list | tuple) else [value]
        return [str(v) for v in items]
    return str(value)


def context_clean(spec: DocTypeSpec, context: dict[str, Any]) -> dict[str, Any]:
    """Return the cleaned context, or raise one DomainError listing every missing field."""
    missing = [f for f in spec.required_fields if _is_missing(context.get(f.key))]
    if missing:
        labels = "、".join(f"{f.label}（{f.key}）" for f in missing)
        raise DomainError(
            "missing_fields",
            _("%(title)s缺少必填内容：%(labels)s") % {"title": spec.title, "labels": labels},
            missing=[f.key for f in missing],
        )
    cleaned: dict[str, Any] = {}
    for key, fspec in spec.fields.items():
        value = context.get(key)
        if _is_missing(value):
            continue
        cleaned[key] = _clean_value(fspec, value)
    return cleaned
