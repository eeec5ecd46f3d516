from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from nuanxin.bikes.models import Operator
from nuanxin.core.errors import DomainError
from nuanxin.opcredit.services import operator_reinstate


class Command(BaseCommand):
    help = "Reinstate an exited operator (a chief's or bureau admin's decision, audited)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--operator", required=True, help="operator code")
        parser.add_argument("--by", required=True, help="username of the deciding chief/admin")
        parser.add_argument("--reason", required=True, help="the decision's reason (recorded)")
        parser.add_argument(
            "--quota",
            type=int,
            help="the quota it restarts with (default: unchanged: 0 after an exit)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        operator = Operator.objects.filter(code=opts["operator"]).first()
        if operator is None:
            raise CommandError(f"unknown operator {opts['operator']}")
        by = get_user_model().objects.filter(username=opts["by"]).first()
        if by is None:
            raise CommandError(f"unknown user {opts['by']}")
        try:
            op = operator_reinstate(
                operator=operator, by=by, reason=opts["reason"], quota=opts["quota"]
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(f"{op.code}: {op.status}, quota {op.quota}")
