from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from nuanxin.laws.excel import catalogue_to_xlsx
from nuanxin.laws.loader import catalogue_to_yaml
from nuanxin.laws.models import CatalogueVersion
from nuanxin.laws.selectors import catalogue_current


class Command(BaseCommand):
    help = "Export a catalogue version as YAML (stdout or --yaml FILE) or Excel (--xlsx FILE)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--catalogue", dest="catalogue_version", default="")
        parser.add_argument("--xlsx", nargs="?", const="catalogue.xlsx", default=None)
        parser.add_argument("--yaml", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["catalogue_version"]:
            cat = CatalogueVersion.objects.filter(version=options["catalogue_version"]).first()
            if cat is None:
                raise CommandError(f"no catalogue version {options['catalogue_version']}")
        else:
            cat = catalogue_current()
        if options["xlsx"]:
            catalogue_to_xlsx(cat, options["xlsx"])
            self.stdout.write(f"wrote {options['xlsx']} (catalogue {cat.version})")
            return
        text = catalogue_to_yaml(cat)
        if options["yaml"]:
            with open(options["yaml"], "w", encoding="utf-8") as fh:
                fh.write(text)
            self.stdout.write(f"wrote {options['yaml']} (catalogue {cat.version})")
        else:
            self.stdout.write(text)
