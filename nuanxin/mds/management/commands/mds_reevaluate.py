"""Evaluate stored MDS events and telemetry again (after an evaluation failed during ingest)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from nuanxin.bikes.models import Operator
from nuanxin.core.errors import DomainError
from nuanxin.mds.ingest.replay import events_reevaluate, telemetry_reevaluate

KINDS = {"events": events_reevaluate, "telemetry": telemetry_reevaluate}


def _when(text: str, name: str) -> datetime:
    value = parse_datetime(text)
    if value is None:
        raise CommandError(f"--{name}: not a date-time: {text!r} (e.g. 2026-11-28T10:00+08:00)")
    if timezone.is_naive(value):  # a bureau's clock: Asia/Shanghai unless told otherwise
        value = timezone.make_aware(value)
    return value


class Command(BaseCommand):
    help = (
        "Hand the stored events and telemetry points of a time window to the compliance "
        "engine again. What is decided already is skipped; running it twice changes nothing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--since", required=True, help="start, ISO 8601 (local time if naive)")
        parser.add_argument("--until", help="end (exclusive), ISO 8601; default now")
        parser.add_argument("--operator", help="operator code; default all operators")
        parser.add_argument(
            "--kind",
            choices=[*KINDS, "all"],
            default="all",
            help="events, telemetry, or all (default: events first, then telemetry)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        since = _when(opts["since"], "since")
        until = _when(opts["until"], "until") if opts["until"] else timezone.now()
        operator = None
        if opts["operator"]:
            operator = Operator.objects.filter(code=opts["operator"]).first()
            if operator is None:
                raise CommandError(f"no operator with code {opts['operator']!r}")
        kinds = list(KINDS) if opts["kind"] == "all" else [opts["kind"]]
        for kind in kinds:
            try:
                result = KINDS[kind](since=since, until=until, operator=operator)
            except DomainError as exc:
                raise CommandError(str(exc.message)) from None
            decided = ", ".join(f"{k} {n}" for k, n in sorted(result.decided.items())) or "none"
            if kind == "events":
                read = f"{result.events} events: {result.parked} parked, {result.moved} moved"
            else:
                read = f"{result.events} telemetry points: {result.parked} of parked bikes"
            self.stdout.write(
                f"{read}; new decisions: {decided}; already decided: {result.already_decided}"
            )
