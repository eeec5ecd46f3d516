from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from nuanxin.merchants.excel import merchants_import


class Command(BaseCommand):
    help = "Import merchants and licences from an .xlsx workbook (all or nothing)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        with open(options["file"], "rb") as f:
            result = merchants_import(file=f, by=None)
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(result.problems)} problem(s); nothing was imported")
        self.stdout.write(f"imported {result.merchants} merchants, {result.licences} licences")
