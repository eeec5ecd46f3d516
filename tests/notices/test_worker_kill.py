"""A real `manage.py worker` killed with SIGKILL mid-batch, then restarted, next to another
worker: every expired notice still gets exactly one decision. SQLite always; PostgreSQL when
run under `pg_virtualenv` (PGHOST set)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

NOTICES = 120


def _env(tmp_path: Path, backend: str) -> dict[str, str]:
    env = {
        **os.environ,
        "NUANXIN_DEMO": "1",
        "NUANXIN_VAR_DIR": str(tmp_path / "var"),
        "WORKER_POLL_SECONDS": "0.2",
        "NOTICE_PENALTY_BATCH": "5",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DATABASE_URL", None)
    if backend == "postgres":
        if not os.environ.get("PGHOST"):
            pytest.skip("PostgreSQL: run under pg_virtualenv (PGHOST not set)")
        import psycopg

        name = f"nx_kill_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        user, password = os.environ.get("PGUSER", ""), os.environ.get("PGPASSWORD", "")
        host, port = os.environ["PGHOST"], os.environ.get("PGPORT", "5432")
        env["DATABASE_URL"] = f"postgres://{user}:{password}@{host}:{port}/{name}"
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def report(env: dict[str, str]) -> dict:
    return json.loads(manage(env, "notices_loadtest", "--report").strip().splitlines()[-1])


def quick_counts(env: dict[str, str]) -> tuple[int, int]:
    """(decisions, open notices), read straight from the database (a manage.py call is slow)."""
    sql = (
        "SELECT (SELECT COUNT(*) FROM notices_penaltydecision),"
        " (SELECT COUNT(*) FROM notices_notice WHERE status = 'open')"
    )
    if env.get("DATABASE_URL"):
        import psycopg

        with psycopg.connect(env["DATABASE_URL"].replace("postgres://", "postgresql://")) as c:
            row = c.execute(sql).fetchone()
    else:
        import sqlite3

        with sqlite3.connect(Path(env["NUANXIN_VAR_DIR"]) / "nuanxin.sqlite3", timeout=30) as c:
            row = c.execute(sql).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--only", "notices.penalties"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_worker_killed_mid_batch_and_restarted_gives_exactly_one_decision(tmp_path, backend):
    env = _env(tmp_path, backend)
    manage(env, "migrate", "-v0")
    # The real e-penalty pipeline (render, seal, serve) makes each decision take a while,
    # so the kill lands inside a batch transaction.
    manage(env, "notices_loadtest", "--documents", "--create", str(NOTICES), "--due-in", "0")
    log = tmp_path / "workers.log"
    workers = [start_worker(env, log), start_worker(env, log)]
    killed_at = None
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            decided, still_open = quick_counts(env)
            if killed_at is None and decided >= 3:
                workers[0].send_signal(signal.SIGKILL)  # no cleanup, mid-transaction
                workers[0].wait()
                killed_at = {"decisions": decided, "open": still_open}
                workers[0] = start_worker(env, log)
            if still_open == 0:
                break
            time.sleep(0.2)
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=60)
    final = report(env)
    assert killed_at is not None and killed_at["open"] > 0, "the kill came too late"
    assert final["open"] == 0, log.read_text()[-3000:]
    assert final["decisions"] == final["notices"] == final["notices_with_decision"] == NOTICES
    assert final["notices_with_two_or_more"] == 0
    assert final["issued"] == NOTICES  # every decision was sealed and served
    assert "audit chain intact" in manage(env, "audit_verify")
