"""MDS Agency ingest, end to end over HTTP, against a bare insert path in the same run.

    uv run python bench/ingest.py [--batches 60] [--clients 4] [--workers 2] [--scale 1.0]
    pg_virtualenv -v 15 uv run python bench/ingest.py --postgres      # PostgreSQL too

What it does:
1. a throw-away NUANXIN_VAR_DIR (SQLite; or the PostgreSQL of pg_virtualenv with --postgres),
   `migrate`, and `seed_demo --only orgs bikes mds` (1,890 spots, 20,000 bikes, 3 operators);
2. gunicorn on 127.0.0.1:8252 (sync workers);
3. N batches of 1,000 MDS events (half trip_end → parked → evaluated by the compliance hooks,
   half trip_start → moved), POSTed to /mds/agency/events by several client threads, each
   request authenticated, validated, persisted, state advanced, audited and evaluated, with
   `manage.py worker` running the notice job beside the server (its CPU counts as the
   server's; the run waits for its queue to empty and prints the decision → notice lag);
4. the same request bodies through a bare path: json.loads + executemany INSERT of the same
   columns into a plain table of the same database kind, no checks — the floor.
Prints events/s for both and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from event_batches import make_batches  # bench/event_batches.py (scripts run from bench/)
from percentiles import percentile  # bench/percentiles.py

ROOT = Path(__file__).resolve().parent.parent
PORT = 8252


def run(cmd: list[str], env: dict[str, str]) -> None:
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def demo_env(var: Path) -> dict[str, str]:
    """The environment of a benchmark's Django processes: the demo settings on a database
    of its own under `var` (SQLite unless the caller sets DATABASE_URL), a fresh secret."""
    env = {
        **os.environ,
        "NUANXIN_VAR_DIR": str(var),
        "NUANXIN_DEMO": "1",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "PYTHONPATH": str(ROOT),
        "DB_CONN_MAX_AGE": "60",
    }
    env.pop("NUANXIN_TESTING", None)
    env.pop("DATABASE_URL", None)
    return env


def setup(env: dict[str, str], scale: float) -> dict:
    manage = [sys.executable, "manage.py"]
    run([*manage, "migrate", "-v0"], env)
    run([*manage, "seed_demo", "--only", "orgs", "bikes", "mds", "--scale", str(scale)], env)
    accounts = json.loads((Path(env["NUANXIN_VAR_DIR"]) / "demo-accounts.json").read_text())
    code = (
        "import json;from nuanxin.bikes.models import Bike, SpotVersion;"
        "print(json.dumps({'bikes': [[str(d), c] for d, c in "
        "Bike.objects.values_list('device_id', 'operator__code')], "
        "'spots': list(SpotVersion.objects.filter(effective_to=None)"
        ".values_list('min_lng', 'min_lat', 'max_lng', 'max_lat'))}))"
    )
    out = subprocess.run(
        [*manage, "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = json.loads(out.strip().splitlines()[-1])
    return {"operators": accounts["operators"], **found}


def seeded(env: dict[str, str], scale: float, cache: Path | None) -> dict:
    """`setup`, or with `cache` (SQLite) a copy of the database a former run seeded there
    (a minute saved per run when comparing code; the schema must not have changed since:
    delete the directory after a migration)."""
    var = Path(env["NUANXIN_VAR_DIR"])
    if cache is not None and (cache / "data.json").exists():
        shutil.copytree(cache / "var", var, dirs_exist_ok=True)
        try:
            run([sys.executable, "manage.py", "migrate", "--check", "-v0"], env)
        except subprocess.CalledProcessError:
            sys.exit(f"--seed-cache {cache}: seeded before a migration; delete it and run again")
        return json.loads((cache / "data.json").read_text())
    data = setup(env, scale)
    if cache is not None:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.copytree(var, cache / "var")
        (cache / "data.json").write_text(json.dumps(data))
    return data


def drive_http(base: str, batches: list[tuple[str, bytes]], clients: int) -> tuple[float, int]:
    """POST the batches from `clients` threads; (seconds, events accepted). The client is
    the standard library's http.client, one connection per thread (gunicorn's sync workers
    close it after each response; it reconnects): it shares this machine's two cores with
    the server, and httpx took 6-11 µs of CPU per event of the 1,000-event bodies, where
    this takes 1-4 (session 9)."""
    queue = list(enumerate(batches))
    lock = threading.Lock()
    accepted = [0]
    errors: list[str] = []
    address = urlsplit(base)

    def worker() -> None:
        http = HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=120)
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    _i, (token, body) = queue.pop()
                http.request(
                    "POST",
                    "/mds/agency/events",
                    body=body,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    },
                )
                response = http.getresponse()
                answer = response.read()
                if response.status != 201:
                    errors.append(f"{response.status} {answer[:200]!r}")
                    continue
                with lock:
                    accepted[0] += json.loads(answer)["success"]
        finally:
            http.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        print(f"  {len(errors)} failed requests, first: {errors[0]}")
    return elapsed, accepted[0]


BARE_COLUMNS = (
    "event_id, device_id, provider_id, vehicle_state, event_types, timestamp, lat, lng, "
    "accuracy_m, trip_ids, payload"
)


def _bare_rows(body: bytes) -> list[tuple]:
    return [
        (
            e["event_id"],
            e["device_id"],
            e["provider_id"],
            e["vehicle_state"],
            json.dumps(e["event_types"]),
            e["timestamp"],
            e["location"]["lat"],
            e["location"]["lng"],
            e["location"].get("horizontal_accuracy"),
            json.dumps(e.get("trip_ids")),
            json.dumps(e),
        )
        for e in json.loads(body)
    ]


def bare_sqlite_batch(path: Path) -> Callable[[bytes], None]:
    """The bare path on a new SQLite file: one call stores one request body."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE bare_event (id INTEGER PRIMARY KEY, event_id TEXT UNIQUE, device_id TEXT, "
        "provider_id TEXT, vehicle_state TEXT, event_types TEXT, timestamp INTEGER, lat REAL, "
        "lng REAL, accuracy_m REAL, trip_ids TEXT, payload TEXT)"
    )
    sql = f"INSERT INTO bare_event ({BARE_COLUMNS}) VALUES ({', '.join(['?'] * 11)})"

    def store(body: bytes) -> None:
        db.execute("BEGIN IMMEDIATE")
        db.executemany(sql, _bare_rows(body))
        db.execute("COMMIT")

    return store


def drive_bare_sqlite(path: Path, batches: list[tuple[str, bytes]]) -> float:
    store = bare_sqlite_batch(path)
    t0 = time.perf_counter()
    for _token, body in batches:
        store(body)
    return time.perf_counter() - t0


def drive_bare_postgres(batches: list[tuple[str, bytes]]) -> float:
    import psycopg

    with psycopg.connect("") as db:  # PG* variables from pg_virtualenv
        db.execute(
            "CREATE TABLE bare_event (id bigserial PRIMARY KEY, event_id uuid UNIQUE, "
            "device_id uuid, provider_id uuid, vehicle_state text, event_types jsonb, "
            "timestamp bigint, lat double precision, lng double precision, "
            "accuracy_m double precision, trip_ids jsonb, payload jsonb)"
        )
        db.commit()
        sql = f"INSERT INTO bare_event ({BARE_COLUMNS}) VALUES ({', '.join(['%s'] * 11)})"
        t0 = time.perf_counter()
        for _token, body in batches:
            with db.cursor() as cur:
                cur.executemany(sql, _bare_rows(body))
            db.commit()
        return time.perf_counter() - t0


def start_server(env: dict[str, str], workers: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "nuanxin.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(workers),
            "--timeout",
            "600",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )


def start_job_worker(env: dict[str, str]) -> subprocess.Popen:
    """The product's background worker, running the notice job (it opens the notices that
    ingest queues) and, on SQLite, the WAL checkpoints (which the web workers then leave to
    it): part of the evaluated path, so its CPU counts as the server's. Returns once it has
    started (its start-up is not the benchmark's)."""
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--only", "notices.open", "core.sqlite_checkpoint"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    worker.stdout.readline()  # "worker: 2 jobs: core.sqlite_checkpoint, notices.open (nice 10)"
    threading.Thread(target=worker.stdout.read, daemon=True).start()  # keep the pipe drained
    return worker


def server_cpu_seconds(*processes: subprocess.Popen) -> float:
    """User + system CPU of these processes and their children (the gunicorn master and its
    workers, the job worker), from /proc: what the server spent, whatever else the machine
    was doing meanwhile."""
    ticks = os.sysconf("SC_CLK_TCK")
    roots = {p.pid for p in processes}
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid in roots or ppid in roots:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def query(var: Path, postgres: bool, sql: str) -> list[tuple]:
    """Read the server's database directly (no Django start-up in the measured wait)."""
    if postgres:
        import psycopg

        with psycopg.connect("") as db:  # PG* variables from pg_virtualenv
            return db.execute(sql).fetchall()
    db = sqlite3.connect(var / "nuanxin.sqlite3")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def queue_drained(var: Path, postgres: bool, timeout: float = 120.0) -> float:
    """Seconds, after the last request, until the notice job has emptied its queue."""
    t0 = time.perf_counter()
    while query(var, postgres, "SELECT COUNT(*) FROM notices_pendingnotice")[0][0]:
        if time.perf_counter() - t0 > timeout:
            break
        time.sleep(0.02)
    return time.perf_counter() - t0


def notice_lag(var: Path, postgres: bool) -> list[float]:
    """Seconds from each decision's storing to its notice's issue (the notice job's lag)."""
    if postgres:
        sql = (
            "SELECT EXTRACT(EPOCH FROM n.issued_at - c.created_at) FROM notices_notice n "
            "JOIN compliance_parkingcheck c ON c.id = n.check_ref_id"
        )
    else:
        sql = (
            "SELECT (julianday(n.issued_at) - julianday(c.created_at)) * 86400 "
            "FROM notices_notice n JOIN compliance_parkingcheck c ON c.id = n.check_ref_id"
        )
    return sorted(float(lag) for (lag,) in query(var, postgres, sql))


def wait_ready(base: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def main() -> None:
    # The bare path runs in this process: the same SQLite tuning as the server's workers
    # (nuanxin/wsgi.py), before this process opens any connection.
    sys.path.insert(0, str(ROOT))
    from nuanxin.core.sqlite_writer.memstatus import memstatus_off

    memstatus_off()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--postgres", action="store_true", help="use the PG* env (pg_virtualenv)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    parser.add_argument(
        "--bad-share", type=float, default=0.02, help="share of parked events outside spots"
    )
    parser.add_argument(
        "--phases", default="evaluated,stored only", help="comma-separated HTTP phases to run"
    )
    parser.add_argument(
        "--seed-cache",
        type=Path,
        metavar="DIR",
        help="SQLite: keep the seeded database in DIR and start later runs from a copy of it",
    )
    args = parser.parse_args()
    phases = [p.strip() for p in args.phases.split(",")]
    unknown = set(phases) - {"evaluated", "stored only"}
    if unknown:
        parser.error(f"--phases: unknown {', '.join(sorted(unknown))} (evaluated, stored only)")

    var = Path(tempfile.mkdtemp(prefix="nx-bench-ingest-"))
    env = demo_env(var)
    if args.postgres:
        env["DATABASE_URL"] = (
            f"postgresql://{os.environ['PGUSER']}:{os.environ.get('PGPASSWORD', '')}@"
            f"{os.environ.get('PGHOST', 'localhost')}:{os.environ['PGPORT']}/{os.environ['PGDATABASE']}"
        )
    db_kind = "PostgreSQL" if args.postgres else "SQLite"
    server: subprocess.Popen | None = None
    try:
        t0 = time.perf_counter()
        data = seeded(env, args.scale, None if args.postgres else args.seed_cache)
        print(
            f"setup ({db_kind}): {len(data['bikes'])} bikes, {len(data['operators'])} operators "
            f"in {time.perf_counter() - t0:.1f}s"
        )
        batches = make_batches(data, args.batches, args.size, seed=1, bad_share=args.bad_share)
        total = args.batches * args.size
        results: dict[str, float] = {}
        for phase, evaluate in (("evaluated", "1"), ("stored only", "0")):
            if phase not in phases:
                continue
            phase_batches = (
                batches
                if evaluate == "1"
                else make_batches(data, args.batches, args.size, seed=3, bad_share=args.bad_share)
            )
            server = start_server(env | {"MDS_INGEST_EVALUATE": evaluate}, args.workers)
            if evaluate == "1":
                job_worker = start_job_worker(env)
            base = f"http://127.0.0.1:{PORT}"
            wait_ready(base)
            # Warm-up, not measured: each web worker's first batches (imports, the spatial
            # index, prepared statements) and, evaluating, the job worker's first notices
            # (some bad parking in the warm-up batches, and the queue emptied), so that both
            # kinds of process are measured warm, as a deployment's are after its first
            # minute. (A cold job worker built its spatial index inside the measured window.)
            warm_up = make_batches(data, args.workers * 2, 50, seed=7 + len(results), bad_share=0.2)
            drive_http(base, warm_up, args.clients)
            if evaluate == "1":
                queue_drained(var, args.postgres)
            processes = [server, job_worker] if evaluate == "1" else [server]
            cpu0, client0 = server_cpu_seconds(*processes), time.process_time()
            worker0 = server_cpu_seconds(job_worker) if evaluate == "1" else 0.0
            elapsed, accepted = drive_http(base, phase_batches, args.clients)
            drained = 0.0
            if evaluate == "1":
                drained = queue_drained(var, args.postgres)
            cpu = server_cpu_seconds(*processes) - cpu0
            worker_cpu = server_cpu_seconds(job_worker) - worker0 if evaluate == "1" else 0.0
            client_cpu = time.process_time() - client0
            stop_server(server)
            server = None
            if evaluate == "1":
                stop_server(job_worker)
                lags = notice_lag(var, args.postgres) or [0.0]
                print(
                    f"notice job: {len(lags):,} notices opened; decision → notice p50 "
                    f"{percentile(lags, 50):.2f}s, p99 {percentile(lags, 99):.2f}s, max "
                    f"{lags[-1]:.2f}s; queue empty {drained:.2f}s after the last request; "
                    f"with that wait, {accepted / (elapsed + drained):,.0f} events/s"
                )
            results[phase] = accepted / elapsed
            print(
                f"agency API, {phase} (HTTP, auth, validate, persist, state, audit"
                f"{', compliance hooks' if evaluate == '1' else ''}): {accepted:,}/{total:,} events "
                f"in {elapsed:.2f}s = {results[phase]:,.0f} events/s ({args.clients} clients, "
                f"{args.workers} gunicorn workers, batches of {args.size}); server CPU "
                f"{cpu / max(accepted, 1) * 1e6:,.0f} µs/event = {accepted / max(cpu, 1e-9):,.0f} "
                f"events per CPU-second"
                + (
                    f" (the job worker's part: {worker_cpu / max(accepted, 1) * 1e6:,.0f} µs)"
                    if evaluate == "1"
                    else ""
                )
                + f"; client CPU {client_cpu / max(accepted, 1) * 1e6:,.0f} µs/event"
            )
        if args.postgres:
            bare = drive_bare_postgres(batches)
        else:
            bare = drive_bare_sqlite(var / "bare.sqlite3", batches)
        bare_rate = total / bare
        print(
            f"bare insert (json.loads + executemany, one process): {total:,} events in "
            f"{bare:.2f}s = {bare_rate:,.0f} events/s"
        )
        print(
            "; ".join(
                f"ratio {phase}/bare: {rate / bare_rate:.2f}" for phase, rate in results.items()
            )
        )
    finally:
        if server is not None:
            stop_server(server)
        if not args.keep:
            shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
