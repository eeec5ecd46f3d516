"""Print a batch of door plates: one A5 page per merchant's current code."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from nuanxin.doorcodes.render import plates_pdf
from nuanxin.doorcodes.selectors import door_codes_for_plates


class Command(BaseCommand):
    help = "Write door-plate PDFs (one plate per page) for a district or one merchant."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", required=True, help="PDF file to write")
        parser.add_argument("--district", help="district code, e.g. QC-N")
        parser.add_argument("--merchant", type=int, help="merchant id")

    def handle(
        self, *args: Any, out: str, district: str | None, merchant: int | None, **o: Any
    ) -> None:
        if district:
            from nuanxin.orgs.models import District

            if not District.objects.filter(code=district).exists():
                raise CommandError(f"no district with code {district!r}")
        codes = list(door_codes_for_plates(district_code=district, merchant_id=merchant))
        if not codes:
            raise CommandError("no current door codes match; issue codes first")
        plates_pdf(codes, out=out)
        self.stdout.write(f"wrote {len(codes)} plate(s) to {out}")
