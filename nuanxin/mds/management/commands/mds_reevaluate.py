"""Evaluate stored MDS events again (after an evaluation failed during ingest)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from nuanxin.bikes.models import Operator
from nuanxin.core.errors import DomainError
from nuanxin.mds.ingest.replay import events_reevaluate


def _when(text: str, name: str) -> datetime:
    value = parse_datetime(text)
    if value is None:
        raise CommandError(f"--{name}: not a date-time: {text!r} (e.g. 2026-11-28T10:00+08:00)")
    if timezone.is_naive(value):  # a bureau's clock: Asia/Shanghai unless told otherwise
        value = timezone.make_aware(value)
    return value


class Command(BaseCommand):
    help = (
        "Hand the stored events of a time window to the compliance engine again. Events "
        "already decided are skipped; running it twice changes nothing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--since", required=True, help="start, ISO 8601 (local time if naive)")
        parser.add_argument("--until", help="end (exclusive), ISO 8601; default now")
        parser.add_argument("--operator", help="operator code; default all operators")

    def handle(self, *args: Any, **opts: Any) -> None:
        since = _when(opts["since"], "since")
        until = _when(opts["until"], "until") if opts["until"] else timezone.now()
        operator = None
        if opts["operator"]:
            operator = Operator.objects.filter(code=opts["operator"]).first()
            if operator is None:
                raise CommandError(f"no operator with code {opts['operator']!r}")
        try:
            result = events_reevaluate(since=since, until=until, operator=operator)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        decided = ", ".join(f"{k} {n}" for k, n in sorted(result.decided.items())) or "none"
        self.stdout.write(
            f"{result.events} events: {result.parked} parked, {result.moved} moved; "
            f"new decisions: {decided}; already decided: {result.already_decided}"
        )
