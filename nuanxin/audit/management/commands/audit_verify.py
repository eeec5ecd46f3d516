from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from nuanxin.audit.models import AuditEvent
from nuanxin.audit.selectors import audit_chain_problems


class Command(BaseCommand):
    help = "Verify the audit hash chain; exit non-zero naming the first bad row."

    def handle(self, *args: Any, **opts: Any) -> None:
        for problem in audit_chain_problems():
            raise CommandError(f"audit chain broken at row {problem.seq}: {problem.reason}")
        self.stdout.write(
            self.style.SUCCESS(f"audit chain intact: {AuditEvent.objects.count()} rows")
        )
