from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from nuanxin.notices import loadtest


class Command(BaseCommand):
    help = "Scratch databases only: create expiring notices, watch the penalty job, report."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--create", type=int, default=0, help="notices to create")
        parser.add_argument("--due-in", type=float, default=0.0, help="seconds until due")
        parser.add_argument(
            "--documents", action="store_true", help="set up the e-penalty pipeline"
        )
        parser.add_argument("--watch", type=float, default=0.0, help="watch up to N seconds")
        parser.add_argument("--report", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not (settings.DEMO_MODE or settings.DEBUG or settings.TESTING):
            raise CommandError("notices_loadtest writes synthetic notices: scratch/demo DBs only")
        if opts["documents"]:
            loadtest.enforcement_setup()
        if opts["create"]:
            due = loadtest.notices_create(count=opts["create"], due_in_s=opts["due_in"])
            self.stdout.write(f"created {opts['create']} notices due at {due.isoformat()}")
        if opts["watch"]:
            self.stdout.write(json.dumps(loadtest.notices_watch(timeout_s=opts["watch"])))
        elif opts["report"]:
            self.stdout.write(json.dumps(loadtest.notices_report()))
