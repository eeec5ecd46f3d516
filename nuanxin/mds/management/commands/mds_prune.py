"""Delete the raw MDS records past their retention period (the worker does it a little at a
time; this runs to the end, e.g. the first time on a database that predates retention)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from nuanxin.core.errors import DomainError
from nuanxin.mds.retention import KINDS, mds_records_prune, retention_policy


class Command(BaseCommand):
    help = (
        "Delete MDS events, telemetry and trips older than the bike policy's retention, "
        "keeping every record a compliance decision or a notice's fix cites."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--kind", choices=[*KINDS, "all"], default="all")
        parser.add_argument("--dry-run", action="store_true", help="count only; delete nothing")
        parser.add_argument("--chunk", type=int, default=1000, help="records per transaction")

    def handle(self, *args: Any, kind: str, dry_run: bool, chunk: int, **opts: Any) -> None:
        try:
            policy = retention_policy()
            report = mds_records_prune(
                now=timezone.now(),
                kinds=None if kind == "all" else [kind],
                chunk_rows=chunk,
                dry_run=dry_run,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        verb = "would delete" if dry_run else "deleted"
        for name, deleted in report.deleted.items():
            before = timezone.localtime(report.received_before[name])
            self.stdout.write(
                f"{name}: {verb} {deleted}, kept {report.kept_as_evidence[name]} cited as "
                f"evidence (received before {before:%Y-%m-%d %H:%M}, "
                f"{policy.days[name]} days)"
            )
