"""CPU priority of the background worker relative to the web workers.

The worker's jobs are deadline work measured in seconds (a notice opened about 1 s after its
decision, a penalty issued within 5 s of its deadline); the web workers answer requests that
operators and officers wait on. On a small host (the 2-core benchmark machine) a worker at the
same priority took CPU from the gunicorn worker holding SQLite's write lock, and every other
writer queued behind it: MDS ingest measured 16.0–16.4 k evaluated events/s with the worker
at nice 0, and 18.9–19.2 k at nice 10, with the same decision → notice lag (p50 0.9 s, p99
under 2 s, also over 240 batches of sustained load). A niced process still gets its share
whenever the CPU is contended, so the jobs keep up; they only stop pre-empting requests.
"""

from __future__ import annotations

import os

from nuanxin.lib.env import envint

DEFAULT_WORKER_NICE = 10


def worker_priority_lower() -> int:
    """Raise this process's nice value by WORKER_NICE (default 10; 0 leaves it). Lowering
    priority needs no privilege, and a process can never raise it back, so this is called
    once, by `manage.py worker` at start. Returns the niceness now in force."""
    step = envint("WORKER_NICE", DEFAULT_WORKER_NICE)
    if step < 0:
        raise ValueError("WORKER_NICE must be 0 or more: a worker never outranks the web workers")
    return os.nice(step)
