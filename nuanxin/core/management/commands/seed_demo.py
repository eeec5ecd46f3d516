from __future__ import annotations

import json
import random
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from nuanxin.core.demo import DemoContext, run_seeders


class Command(BaseCommand):
    help = "Build (or top up) the deterministic demo city of Bozhou. Idempotent."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=20260601)
        parser.add_argument("--scale", type=float, default=1.0, help="1.0 = the full demo city")
        parser.add_argument("--only", nargs="*", default=None, help="app labels to seed")
        parser.add_argument("--accounts-file", default=str(settings.VAR_DIR / "demo-accounts.json"))

    def handle(self, *args: Any, **opts: Any) -> None:
        if not (settings.DEMO_MODE or settings.DEBUG or settings.TESTING):
            raise CommandError(
                "seed_demo creates demo accounts with known passwords; it runs only with "
                "NUANXIN_DEMO=1 (or DEBUG) and never on a production database."
            )
        ctx = DemoContext(rng=random.Random(opts["seed"]), scale=opts["scale"])
        run_seeders(ctx, only=opts["only"])
        for line in ctx.log:
            self.stdout.write(line)
        payload = {
            "base_url": settings.SITE_ROOT,
            "users": ctx.users,
            "operators": ctx.operators,
            "open311_api_key": ctx.open311_api_key,
        }
        with open(opts["accounts_file"], "w", encoding="utf-8") as f:
            json.dump(payload, f, ensure_ascii=False, indent=2)
        self.stdout.write(
            self.style.SUCCESS(f"demo city ready; accounts in {opts['accounts_file']}")
        )
