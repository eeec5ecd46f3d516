"""`manage.py worker` runs below the web workers' CPU priority (nuanxin.lib.priority)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def niceness_after(env: dict[str, str]) -> subprocess.CompletedProcess:
    """`worker_priority_lower()` in a child process: niceness cannot be lowered again, so the
    test process itself is never changed."""
    code = (
        "import os; from nuanxin.lib.priority import worker_priority_lower; "
        "before = os.nice(0); after = worker_priority_lower(); print(before, after)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )


def test_the_worker_lowers_its_priority_by_ten_unless_told_otherwise() -> None:
    before, after = map(int, niceness_after({}).stdout.split())
    assert after == min(before + 10, 19)
    before, after = map(int, niceness_after({"WORKER_NICE": "0"}).stdout.split())
    assert after == before


def test_a_negative_step_is_refused() -> None:
    done = niceness_after({"WORKER_NICE": "-5"})
    assert done.returncode != 0 and "WORKER_NICE must be 0 or more" in done.stderr


def test_the_worker_loop_reports_its_niceness(tmp_path: Path) -> None:
    """The real command, started as the deployment starts it, runs at nice + WORKER_NICE."""
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--only", "no.such.job"],
        cwd=ROOT,
        env={
            **os.environ,
            "WORKER_NICE": "3",
            "NUANXIN_VAR_DIR": str(tmp_path),
            "NUANXIN_DEMO": "1",
        },
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        first = worker.stdout.readline()
        expected = min(os.nice(0) + 3, 19)
        assert first.strip() == f"worker: 0 jobs:  (nice {expected})"
        with open(f"/proc/{worker.pid}/stat") as stat:
            assert int(stat.read().rsplit(")", 1)[1].split()[16]) == expected
    finally:
        worker.terminate()
        worker.wait(timeout=10)
