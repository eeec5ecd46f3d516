"""A real `manage.py worker` killed with SIGKILL mid-batch, then restarted, next to another
worker: every expired notice still gets exactly one decision (issuing stage) and every
decision exactly one sealed, served document (document stage). SQLite always; PostgreSQL
when run under `pg_virtualenv` (PGHOST set)."""

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

ISSUE_NOTICES = 3000  # many small chunks, so the kills land while chunks are being written
SEAL_NOTICES = 40
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _env(tmp_path: Path, backend: str) -> dict[str, str]:
    env = {
        **os.environ,
        "NUANXIN_DEMO": "1",
        "NUANXIN_VAR_DIR": str(tmp_path / "var"),
        "WORKER_POLL_SECONDS": "0.1",
        "NOTICE_PENALTY_BATCH": "10",
        "NOTICE_DOCUMENT_BATCH": "2",
        "NOTICE_DOCUMENT_LEASE_SECONDS": "5",
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


def quick_counts(env: dict[str, str]) -> tuple[int, int, int]:
    """(decisions, open notices, sealed decisions), straight from the database (a manage.py
    call is slow)."""
    sql = (
        "SELECT (SELECT COUNT(*) FROM notices_penaltydecision),"
        " (SELECT COUNT(*) FROM notices_notice WHERE status = 'open'),"
        " (SELECT COUNT(*) FROM notices_penaltydecision WHERE status = 'issued')"
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
    return int(row[0]), int(row[1]), int(row[2])


def start_worker(env: dict[str, str], log: Path, *jobs: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--only", *jobs],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def run_with_kills(
    env: dict[str, str], tmp_path: Path, jobs: list[str], kill_when: list[int], done_at: int
) -> list[tuple[int, int, int]]:
    """Two workers; SIGKILL worker 0 (no cleanup, mid-transaction or mid-render) each time
    the progress count passes a mark while work remains, restart it, wait until done."""
    log = tmp_path / "workers.log"
    workers = [start_worker(env, log, *jobs), start_worker(env, log, *jobs)]
    kills: list[tuple[int, int, int]] = []
    marks = list(kill_when)
    try:
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            counts = quick_counts(env)
            progress = counts[2] if "notices.penalty_documents" in jobs else counts[0]
            if marks and progress >= marks[0] and progress < done_at:
                marks.pop(0)
                workers[0].send_signal(signal.SIGKILL)
                workers[0].wait()
                kills.append(counts)
                workers[0] = start_worker(env, log, *jobs)
            if progress >= done_at:
                break
            time.sleep(0.05)
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=60)
    return kills


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_issuing_worker_killed_mid_chunk_gives_exactly_one_numbered_decision(tmp_path, backend):
    env = _env(tmp_path, backend)
    manage(env, "migrate", "-v0")
    manage(env, "notices_loadtest", "--documents", "--create", str(ISSUE_NOTICES), "--due-in", "0")
    kills = run_with_kills(
        env, tmp_path, ["notices.penalties"], [20, 600, 1500], done_at=ISSUE_NOTICES
    )
    final = report(env)
    assert kills and kills[0][1] > 0, "the kill came too late"
    assert final["open"] == 0, (tmp_path / "workers.log").read_text()[-3000:]
    assert final["decisions"] == final["notices"] == final["notices_with_decision"]
    assert final["decisions"] == ISSUE_NOTICES
    assert final["notices_with_two_or_more"] == 0
    # Rolled-back chunks gave their numbers back: 1..N, no gap, no duplicate.
    assert final["serials_gap_free"] and final["distinct_numbers"] == ISSUE_NOTICES
    assert "audit chain intact" in manage(env, "audit_verify")


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_document_worker_killed_mid_render_gives_exactly_one_sealed_document(tmp_path, backend):
    env = _env(tmp_path, backend)
    manage(env, "migrate", "-v0")
    manage(env, "notices_loadtest", "--documents", "--create", str(SEAL_NOTICES), "--due-in", "0")
    jobs = ["notices.penalties", "notices.penalty_documents"]
    kills = run_with_kills(env, tmp_path, jobs, [3, 15], done_at=SEAL_NOTICES)
    final = report(env)
    assert kills and kills[0][2] < SEAL_NOTICES, "the kill came too late"
    assert final["open"] == 0
    assert final["decisions"] == final["notices_with_decision"] == SEAL_NOTICES
    assert final["notices_with_two_or_more"] == 0
    assert final["issued"] == SEAL_NOTICES, (tmp_path / "workers.log").read_text()[-3000:]
    assert final["documents"] == final["distinct_document_numbers"] == SEAL_NOTICES
    assert final["deliveries"] == SEAL_NOTICES
    assert "audit chain intact" in manage(env, "audit_verify")
