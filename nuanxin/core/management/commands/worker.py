"""The background worker: runs every registered job when it is due, forever.

Run several (`manage.py worker` in more than one process or host); each job claims
its own rows, so no work is done twice. `--once` runs every job one time and exits.
It runs below the web workers' CPU priority (`nuanxin.lib.priority`, env WORKER_NICE).
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from nuanxin.core.jobs import registered_jobs
from nuanxin.lib.priority import worker_priority_lower


class Command(BaseCommand):
    help = "Run the background jobs (deadlines, deliveries, flags) in a loop."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="run each job once and exit")
        parser.add_argument("--only", nargs="*", default=None, help="job names to run")

    def handle(
        self, *args: Any, once: bool = False, only: list[str] | None = None, **opts: Any
    ) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        jobs = [job for job in registered_jobs() if not only or job.name in only]
        last_run: dict[str, float] = {}
        # A one-off run (tests, cron) keeps the caller's priority: it cannot be raised back.
        niceness = os.nice(0) if once else worker_priority_lower()
        self.stdout.write(
            f"worker: {len(jobs)} jobs: {', '.join(j.name for j in jobs)} (nice {niceness})"
        )
        while not stopping:
            for job in jobs:
                now_mono = time.monotonic()
                if not once and now_mono - last_run.get(job.name, 0.0) < job.every_seconds:
                    continue
                last_run[job.name] = now_mono
                close_old_connections()
                try:
                    done = job.func(timezone.now())
                except Exception as exc:  # one failing job must not stop the others
                    self.stderr.write(f"worker: job {job.name} failed: {exc!r}")
                    continue
                if done:
                    self.stdout.write(f"worker: {job.name}: {done}")
            if once:
                break
            time.sleep(settings.WORKER_POLL_SECONDS)
