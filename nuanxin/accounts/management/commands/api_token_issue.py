from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from nuanxin.accounts.services import api_token_issue
from nuanxin.bikes.models import Operator


class Command(BaseCommand):
    help = "Issue an API token for one operator or one integration; prints the secret once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name")
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--operator", help="operator code")
        group.add_argument("--integration", help="integration key, e.g. open311")

    def handle(
        self, *args: Any, name: str, operator: str | None, integration: str | None, **opts: Any
    ) -> None:
        op = None
        if operator:
            op = Operator.objects.filter(code=operator).first()
            if op is None:
                raise CommandError(f"no operator with code {operator!r}")
        _, raw = api_token_issue(name=name, by=None, operator=op, integration=integration or "")
        self.stdout.write(raw)
