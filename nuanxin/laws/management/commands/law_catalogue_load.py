from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from nuanxin.core.errors import DomainError
from nuanxin.laws.loader import catalogue_load


class Command(BaseCommand):
    help = "Load a law↔behaviour catalogue (YAML or Excel). Idempotent per version."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", nargs="?", default="data/law/catalogue.yaml")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = catalogue_load(path=options["path"])
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        cat = result.catalogue
        state = "loaded" if result.created else "already loaded (unchanged)"
        self.stdout.write(
            f"catalogue {cat.version} (effective {cat.effective_date}, sha256 {cat.sha256[:12]}…) {state}"
        )
