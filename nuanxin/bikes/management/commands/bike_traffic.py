"""Play the demo operators through the real MDS Agency API: trips, some bad parking, fixes."""

from __future__ import annotations

import logging
import random
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from nuanxin.bikes.traffic import Traffic, load_fleets, operator_tokens


class Command(BaseCommand):
    help = "Demo traffic generator over HTTP (MDS Agency): trips, bad parking, fixes."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8000")
        parser.add_argument("--forever", action="store_true", help="run until stopped")
        parser.add_argument(
            "--rate", type=float, default=3.0, help="trips per second (all operators)"
        )
        parser.add_argument(
            "--duration", type=float, default=10.0, help="seconds, without --forever"
        )
        parser.add_argument("--bikes", type=int, default=2000, help="bikes per operator in play")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--accounts-file", default=None)
        parser.add_argument(
            "--fix-after",
            type=float,
            nargs=2,
            default=(60.0, 600.0),
            metavar=("MIN", "MAX"),
            help="seconds until a bad parking is fixed",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        logging.getLogger("httpx").setLevel(logging.WARNING)
        tokens = operator_tokens(Path(opts["accounts_file"]) if opts["accounts_file"] else None)
        fleets = load_fleets(tokens, opts["bikes"])
        if not fleets:
            raise CommandError("no operators with available bikes: run `manage.py seed_demo` first")
        traffic = Traffic(
            base_url=opts["base_url"],
            fleets=fleets,
            rng=random.Random(opts["seed"]),
            fix_after=tuple(opts["fix_after"]),
            log=lambda m: self.stdout.write(m),
        )
        self.stdout.write(
            f"bike_traffic → {opts['base_url']} ({', '.join(f.code for f in fleets)})"
        )
        sent = traffic.run(rate=opts["rate"], forever=opts["forever"], duration=opts["duration"])
        self.stdout.write(f"sent: {sent}")
