"""Read an operator's MDS Provider endpoint and ingest it (pull mode)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from nuanxin.bikes.models import Operator
from nuanxin.mds.pull import mds_pull


class Command(BaseCommand):
    help = "Pull events, telemetry and trips from an operator's MDS Provider API."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--operator", required=True, help="operator code, e.g. qingju")
        parser.add_argument("--url", required=True, help="Provider API base URL")
        parser.add_argument("--token", default="", help="bearer token the provider issued us")
        parser.add_argument("--minutes", type=int, default=60, help="window to read (default 60)")

    def handle(self, *args: Any, **opts: Any) -> None:
        operator = Operator.objects.filter(code=opts["operator"]).first()
        if operator is None:
            raise CommandError(f"no operator with code {opts['operator']!r}")
        until = timezone.now()
        report = mds_pull(
            operator=operator,
            base_url=opts["url"],
            since=until - timedelta(minutes=opts["minutes"]),
            until=until,
            token=opts["token"],
        )
        self.stdout.write(f"pages read: {report.pages}")
        for kind, t in report.totals.items():
            self.stdout.write(
                f"{kind}: {t['success']}/{t['total']} accepted, {t['failures']} refused"
            )
        for note in report.notes:
            self.stdout.write(note)
        for error in report.errors:
            self.stderr.write(error)
        if report.errors:
            raise CommandError(f"pull incomplete: {len(report.errors)} error(s), see above")
