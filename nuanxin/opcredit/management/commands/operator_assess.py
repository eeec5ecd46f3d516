from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from nuanxin.bikes.models import Operator
from nuanxin.core.errors import DomainError
from nuanxin.opcredit.services import assessment_run


class Command(BaseCommand):
    help = "Assess every active operator (or one) for a period: score, quota change or exit, PDF."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--period", required=True, help="2026-11, or 2026-Q4 for quarterly")
        parser.add_argument("--kind", choices=["monthly", "quarterly"], default="monthly")
        parser.add_argument("--operator", help="operator code (default: all not yet exited)")

    def handle(self, *args: Any, **opts: Any) -> None:
        operators = Operator.objects.exclude(status=Operator.Status.EXITED).order_by("code")
        if opts["operator"]:
            operators = Operator.objects.filter(code=opts["operator"])
            if not operators:
                raise CommandError(f"unknown operator {opts['operator']}")
        failures = 0
        for op in operators:
            try:
                a = assessment_run(operator=op, period=opts["period"], kind=opts["kind"])
            except DomainError as exc:
                failures += 1
                self.stderr.write(f"{op.code}: {exc.code}: {exc.message}")
                continue
            self.stdout.write(
                f"{op.code} {a.period}: score {a.score} → {a.outcome}, "
                f"quota {a.quota_before} → {a.quota_after}, report {a.pdf.name}"
            )
        if failures and failures == len(operators):
            raise CommandError("no operator assessed")
