"""Bureau-editable data: complaint categories, rating tags, stage deadlines, blocked words.

Files live in data/feedback/ (override the folder with NUANXIN_FEEDBACK_DATA_DIR). They are
re-read when their modification time changes, so an edit applies without a restart.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from nuanxin.lib.env import envstr


def data_dir() -> Path:
    return Path(envstr("NUANXIN_FEEDBACK_DATA_DIR", str(settings.BASE_DIR / "data" / "feedback")))


_cache: dict[str, tuple[float, Any]] = {}


def _load(name: str, parse: Any) -> Any:
    path = data_dir() / name
    mtime = os.stat(path).st_mtime
    hit = _cache.get(name)
    if hit is not None and hit[0] == mtime:
        return hit[1]
    value = parse(path.read_text(encoding="utf-8"))
    _cache[name] = (mtime, value)
    return value


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    description: str
    keywords: tuple[str, ...]
    group: str


def categories() -> list[Category]:
    data = _load("catalog.yaml", yaml.safe_load)
    return [
        Category(
            code=str(c["code"]),
            name=str(c["name"]),
            description=str(c.get("description", "")),
            keywords=tuple(str(k) for k in c.get("keywords", [])),
            group=str(c.get("group", "")),
        )
        for c in data["complaint_categories"]
    ]


def category_by_code(code: str) -> Category | None:
    return next((c for c in categories() if c.code == code), None)


def category_name(code: str) -> str:
    found = category_by_code(code)
    return found.name if found else code


def rating_tags() -> dict[str, list[str]]:
    data = _load("catalog.yaml", yaml.safe_load)
    tags = data.get("rating_tags", {})
    return {"positive": list(tags.get("positive", [])), "negative": list(tags.get("negative", []))}


def all_rating_tags() -> list[str]:
    tags = rating_tags()
    return tags["positive"] + tags["negative"]


def sla() -> dict[str, Any]:
    return _load("sla.yaml", yaml.safe_load)


def stage_deadline(status: str, *, entered_at: dt.datetime) -> dt.datetime | None:
    hours = sla().get("stages", {}).get(status)
    if hours is None:
        return None
    return entered_at + dt.timedelta(hours=float(hours))


def _normalise_text(text: str) -> str:
    # NFKC folds full-width letters (ｓｂ) to ASCII; drop spaces and common separators so
    # "傻 逼" and "s.b" are caught too.
    folded = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\s\.\-_*·,，。!！?？~～]+", "", folded)


def _parse_words(text: str) -> list[str]:
    words = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.append(_normalise_text(line))
    return [w for w in words if w]


def blocked_words() -> list[str]:
    return _load("blocked_words.txt", _parse_words)


def abusive_words_in(text: str) -> list[str]:
    """The blocked words found in `text`. Latin-only words match whole words (so "sb" does
    not refuse "usb"); others match anywhere."""
    if not text:
        return []
    squashed = _normalise_text(text)
    latin_words = set(re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKC", text).lower()))
    found = []
    for word in blocked_words():
        if word.isascii():
            if word in latin_words:
                found.append(word)
        elif word in squashed:
            found.append(word)
    return found
