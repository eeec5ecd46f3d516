"""The demo city: `manage.py seed_demo` runs each app's `demo.seed(ctx)` in order.

Every seeder is idempotent (get_or_create on natural keys) and deterministic
(it draws only from `ctx.rng`, seeded once), so running it twice adds nothing.
"""

from __future__ import annotations

import importlib
import random
from dataclasses import dataclass, field
from typing import Any

# Order matters: later apps build on earlier ones.
SEEDERS = [
    "nuanxin.orgs.demo",
    "nuanxin.accounts.demo",
    "nuanxin.merchants.demo",
    "nuanxin.doorcodes.demo",
    "nuanxin.credit.demo",
    "nuanxin.feedback.demo",
    "nuanxin.laws.demo",
    "nuanxin.documents.demo",
    "nuanxin.evidence.demo",
    "nuanxin.violations.demo",
    "nuanxin.cases.demo",
    "nuanxin.deliveries.demo",
    "nuanxin.bikes.demo",
    "nuanxin.mds.demo",
    "nuanxin.compliance.demo",
    "nuanxin.notices.demo",
    "nuanxin.opcredit.demo",
    "nuanxin.insight.demo",
    "nuanxin.dashboard.demo",
]

DEMO_PASSWORD = "nuanxin-demo-2026"


@dataclass
class DemoContext:
    rng: random.Random
    scale: float = 1.0  # tests seed a smaller city with scale < 1
    users: list[dict[str, Any]] = field(default_factory=list)
    operators: list[dict[str, Any]] = field(default_factory=list)
    open311_api_key: str = ""
    log: list[str] = field(default_factory=list)

    def scaled(self, n: int, minimum: int = 1) -> int:
        return max(minimum, round(n * self.scale))

    def say(self, message: str) -> None:
        self.log.append(message)


def run_seeders(ctx: DemoContext, only: list[str] | None = None) -> DemoContext:
    for module_name in SEEDERS:
        if only and module_name.split(".")[1] not in only:
            continue
        module = importlib.import_module(module_name)
        module.seed(ctx)
    return ctx
