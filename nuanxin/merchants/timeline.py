"""The life-cycle timeline of a market entity (or any party), assembled from every app.

Each app that has something to say about a merchant adds a module with
`def timeline_entries(*, merchant) -> list[TimelineEntry]` and is listed in PROVIDERS.
The merchants app never imports those apps' models directly.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PROVIDERS = [
    "nuanxin.merchants.timeline_own",  # registration, licences, inspections
    "nuanxin.feedback.timeline",  # ratings, complaints
    "nuanxin.credit.timeline",  # credit changes
    "nuanxin.violations.timeline",  # education, warnings
    "nuanxin.cases.timeline",  # cases, penalties, payments
]


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # stable machine key, e.g. "complaint", "education", "case.decided"
    title: str  # translated, one line
    detail: str = ""
    url: str = ""  # staff link, if any
    public: bool = False  # safe to show on public pages (no personal data)
    extra: dict[str, Any] = field(default_factory=dict)


def timeline_for(*, merchant: Any, public_only: bool = False) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for module_name in PROVIDERS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        entries.extend(module.timeline_entries(merchant=merchant))
    if public_only:
        entries = [e for e in entries if e.public]
    return sorted(entries, key=lambda e: e.at, reverse=True)
