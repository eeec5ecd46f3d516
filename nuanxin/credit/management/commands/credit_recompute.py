from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from nuanxin.credit.rules import rules_current
from nuanxin.credit.services import credit_recompute_all


class Command(BaseCommand):
    help = (
        "Recompute merchant credit scores under the rules in force (after editing "
        "data/credit/rules.yaml, or daily as old events leave their look-back windows)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--merchant", type=int, action="append", default=[])

    def handle(self, *args: Any, **options: Any) -> None:
        rules = rules_current()
        changed = credit_recompute_all(by=None, merchant_ids=options["merchant"] or None)
        self.stdout.write(f"rules {rules.version}: {changed} merchant score(s) changed")
