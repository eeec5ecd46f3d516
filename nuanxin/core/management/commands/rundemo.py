"""Run the whole platform for a demo: web server, background worker and traffic generator.

One command, one Ctrl-C: every child process is stopped together.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand

# Optional demo processes: started only when the app providing the command is present.
OPTIONAL_COMMANDS = [
    ["bike_traffic", "--forever"],
]


class Command(BaseCommand):
    help = "Start the web server, worker(s) and demo traffic on 127.0.0.1; Ctrl-C stops all."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=2, help="background worker processes")
        parser.add_argument("--no-traffic", action="store_true")

    def handle(self, *args: Any, port: int, workers: int, no_traffic: bool, **opts: Any) -> None:
        base_url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "NUANXIN_DEMO": "1", "SITE_ROOT": base_url, "PYTHONUNBUFFERED": "1"}
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        commands: list[list[str]] = [
            [
                sys.executable,
                "-m",
                "gunicorn",
                "nuanxin.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--log-level",
                "warning",
            ],
        ]
        commands += [[*manage, "worker"] for _ in range(workers)]
        available = get_commands()
        if not no_traffic:
            commands += [
                [*manage, *cmd, "--base-url", base_url]
                for cmd in OPTIONAL_COMMANDS
                if cmd[0] in available
            ]
        children = [
            subprocess.Popen(cmd, env=env, cwd=settings.BASE_DIR, start_new_session=True)
            for cmd in commands
        ]
        self._announce(base_url)
        stop = False

        def on_signal(signum: int, frame: Any) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        try:
            while not stop:
                if any(child.poll() is not None for child in children[: 1 + workers]):
                    self.stderr.write("a core process exited; stopping the demo")
                    break
                time.sleep(0.5)
        finally:
            for child in children:
                if child.poll() is None:
                    os.killpg(child.pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(child.pid, signal.SIGKILL)
            self.stdout.write("demo stopped")

    def _announce(self, base_url: str) -> None:
        accounts_file = settings.VAR_DIR / "demo-accounts.json"
        data = (
            json.loads(accounts_file.read_text(encoding="utf-8")) if accounts_file.exists() else {}
        )
        data["base_url"] = base_url
        accounts_file.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"\n暖芯 Nuanxin demo: {base_url}/"))
        self.stdout.write(f"  staff login:   {base_url}/accounts/login/")
        self.stdout.write(f"  API docs:      {base_url}/api/v1/docs")
        for user in data.get("users", [])[:20]:
            self.stdout.write(
                f"  {user['role']:<15} {user['username']:<16} {user['password']}  {user.get('district') or ''}"
            )
        self.stdout.write(f"  all accounts:  {accounts_file}\n  Ctrl-C stops everything.\n")
