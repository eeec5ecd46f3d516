from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from nuanxin.evidence.services import evidence_verify


class Command(BaseCommand):
    help = (
        "Re-hash every stored evidence file against the SHA-256 taken at upload. "
        "Exits non-zero and names every changed or missing file."
    )

    def handle(self, *args: Any, **opts: Any) -> None:
        checked, problems = evidence_verify()
        for p in problems:
            detail = f" (now {p.actual})" if p.actual else ""
            self.stderr.write(
                f"{p.problem.upper()}: evidence #{p.item_id} {p.path} expected {p.expected}{detail}"
            )
        if problems:
            raise CommandError(f"{len(problems)} of {checked} evidence files failed verification")
        self.stdout.write(f"evidence_verify: all {checked} files intact")
