"""Demo data: the shipped law↔behaviour catalogue (data/law/catalogue.yaml)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from nuanxin.core.demo import DemoContext
from nuanxin.laws.loader import catalogue_load

CATALOGUE_PATH = Path(settings.BASE_DIR) / "data" / "law" / "catalogue.yaml"


def seed(ctx: DemoContext) -> None:
    """Idempotent: loading the same catalogue version twice is a no-op."""
    result = catalogue_load(path=CATALOGUE_PATH)
    if result.created:
        ctx.say(f"laws: catalogue {result.catalogue.version} loaded")
