from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from nuanxin.merchants.excel import merchants_export
from nuanxin.merchants.models import Merchant


class Command(BaseCommand):
    help = "Export merchants and licences to an .xlsx workbook in the import layout."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", required=True)
        parser.add_argument("--district", default="", help="district code, e.g. QC-N")

    def handle(self, *args: Any, **options: Any) -> None:
        merchants = Merchant.objects.select_related("district").prefetch_related("licences")
        if options["district"]:
            merchants = merchants.filter(district__code=options["district"])
        data = merchants_export(merchants=merchants.order_by("pk"))
        with open(options["out"], "wb") as f:
            f.write(data)
        self.stdout.write(f"wrote {merchants.count()} merchants to {options['out']}")
