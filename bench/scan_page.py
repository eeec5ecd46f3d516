"""Public scan page (/q/<token>) under load, beside a minimal Django view on the same server.

uv run python bench/scan_page.py [--clients 64] [--seconds 12] [--workers 4] [--worker-class sync]
                                 [--port 8101] [--check]

Production-style: gunicorn (sync workers, 2 per core; see --worker-class) with DEBUG off and a random SECRET_KEY, against
a throwaway SQLite database that this script migrates and seeds in its own NUANXIN_VAR_DIR
(never your var/). The load generator is wrk (Debian package `wrk`, C, ~2 threads) keeping
`--clients` persistent HTTP/1.1 connections busy (closed loop) against 127.0.0.1 only; each
phase runs for a fixed time after a warm-up, so the run is bounded in count and time. Without
wrk (or with `--client asyncio`) a Python asyncio client does the same, but on a 2-core
machine it takes most of a core away from the server and inflates every latency.

The baseline is /q/_baseline: a view that returns b"ok" through the same URL resolver and
middleware stack (sessions, CSRF, auth, locale, whitenoise, security). The scan page
resolves a signed token against the database, renders the merchant's licences, credit
level and rating summary, and sets the device cookie; it rotates over many merchants.
Targets (issue 2, section 8): scan throughput >= 0.5x baseline, scan p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from percentiles import percentile  # bench/percentiles.py (scripts run from bench/)

ROOT = Path(__file__).resolve().parent.parent
PORT_RANGE = range(8100, 8150)
REQUEST_TIMEOUT = 10.0  # seconds; a stuck request fails the run instead of hanging it


def seed_inside(var_dir: str, tokens_file: str, merchants: int) -> None:
    """Runs in a child process with the bench environment: migrate, seed, list tokens."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nuanxin.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command(
        "seed_demo",
        "--scale",
        "0.05",
        "--only",
        "orgs",
        "accounts",
        "merchants",
        "doorcodes",
        "credit",
        "feedback",
        "--accounts-file",
        str(Path(var_dir) / "accounts.json"),
    )
    from nuanxin.doorcodes.models import DoorCode

    if not DoorCode.objects.exists():
        _bench_merchants(merchants)
    tokens = [c.token for c in DoorCode.objects.filter(revoked_at__isnull=True)[:merchants]]
    Path(tokens_file).write_text(json.dumps(tokens))


def _bench_merchants(count: int) -> None:
    """Fallback when the merchants demo seeds nothing: a few shops with licences and ratings."""
    import datetime as dt
    import random

    from nuanxin.doorcodes.services import door_code_issue
    from nuanxin.feedback.services.ratings import rating_submit
    from nuanxin.merchants.models import Licence, Merchant
    from nuanxin.orgs.models import District

    rng = random.Random(7)
    district = District.objects.order_by("code").first()
    assert district is not None, "orgs demo did not seed districts"
    for i in range(count):
        m = Merchant.objects.create(
            uscc=f"BENCH{i:013d}",
            name=f"压测商户{i:03d}号小吃店",
            kind=Merchant.Kind.INDIVIDUAL,
            category="餐饮",
            district=district,
            address=f"亳州市谯城区人民路{i}号",
            lat=33.87,
            lng=115.74,
            contact_name="张三",
            contact_phone="13900000000",
        )
        for kind in (Licence.Kind.BUSINESS, Licence.Kind.FOOD, Licence.Kind.SIGNBOARD):
            Licence.objects.create(
                merchant=m,
                kind=kind,
                number=f"B-{kind}-{i}",
                valid_from=dt.date(2022, 1, 1),
                valid_until=dt.date(2025 + rng.randint(0, 3), 6, 30),
            )
        door_code_issue(merchant=m, by=None)
        for n in range(rng.randint(1, 6)):
            rating_submit(
                merchant=m,
                door_code=None,
                stars=rng.randint(2, 5),
                tags=[],
                text="",
                device_key=f"bench:{n}",
                ip=None,
            )


async def _client(
    port: int, paths: list[str], offset: int, until: float, out: list[float], errors: list[str]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = offset
    try:
        while time.perf_counter() < until:
            path = paths[i % len(paths)]
            i += 1
            started = time.perf_counter()
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: nuanxin-bench\r\n"
                "Accept-Language: zh-CN\r\n\r\n".encode()
            )
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT)
            status = int(head.split(b" ", 2)[1])
            length = 0
            close = False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                lname = name.strip().lower()
                if lname == b"content-length":
                    length = int(value.strip())
                elif lname == b"connection" and value.strip().lower() == b"close":
                    close = True
            await asyncio.wait_for(reader.readexactly(length), REQUEST_TIMEOUT)
            if status != 200:
                errors.append(f"{status} {path}")
            out.append(time.perf_counter() - started)
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


async def _phase(
    port: int, paths: list[str], clients: int, seconds: float
) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(
        *(_client(port, paths, n, until, latencies, errors) for n in range(clients))
    )
    return latencies, errors, time.perf_counter() - started


WRK_SCRIPT = r"""
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1],
    {["Accept-Language"] = "zh-CN", ["User-Agent"] = "nuanxin-bench"})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\"requests\":%d,\"errors\":%d,\"non2xx\":%d,\"p50\":%d,\"p99\":%d,"
    .. "\"mean\":%f,\"duration\":%d}\n",
    summary.requests, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency.mean, summary.duration))
end
"""


def _wrk_phase(
    port: int, paths: list[str], clients: int, seconds: float, workdir: Path
) -> dict[str, float]:
    script, listing = workdir / "rotate.lua", workdir / f"paths-{abs(hash(tuple(paths)))}.txt"
    script.write_text(WRK_SCRIPT)
    listing.write_text("\n".join(paths) + "\n")
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{max(1, round(seconds))}s",
            f"--timeout={int(REQUEST_TIMEOUT)}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        env={**os.environ, "WRK_PATHS": str(listing)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    return json.loads(line.removeprefix("WRKJSON "))


def run_phases_wrk(
    port: int,
    targets: dict[str, list[str]],
    clients: int,
    seconds: float,
    warmup: float,
    rounds: int,
    workdir: Path,
) -> dict[str, dict]:
    """As run_phases, with wrk as the client. Percentiles are pooled per target as the
    request-weighted mean of each round's percentile (wrk reports per run)."""
    for paths in targets.values():
        _wrk_phase(port, paths, clients, warmup, workdir)
    runs: dict[str, list[dict[str, float]]] = {n: [] for n in targets}
    for _round in range(rounds):
        for name, paths in targets.items():
            runs[name].append(_wrk_phase(port, paths, clients, seconds / rounds, workdir))
    results = {}
    for name, parts in runs.items():
        n = sum(p["requests"] for p in parts) or 1
        results[name] = {
            "requests": int(n),
            "errors": int(sum(p["errors"] + p["non2xx"] for p in parts)),
            "error_sample": [],
            "rps": n / (sum(p["duration"] for p in parts) / 1e6),
            "p50_ms": sum(p["p50"] * p["requests"] for p in parts) / n / 1000,
            "p99_ms": max(p["p99"] for p in parts) / 1000,
            "mean_ms": sum(p["mean"] * p["requests"] for p in parts) / n / 1000,
        }
    return results


def run_phases(
    port: int,
    targets: dict[str, list[str]],
    clients: int,
    seconds: float,
    warmup: float,
    rounds: int,
) -> dict[str, dict]:
    """Alternate the targets for `rounds` rounds (on a shared machine, a noisy neighbour then
    hurts both alike), pooling each target's latencies and time."""
    for paths in targets.values():
        asyncio.run(_phase(port, paths, clients, warmup))
    pooled: dict[str, tuple[list[float], list[str], float]] = {n: ([], [], 0.0) for n in targets}
    for _round in range(rounds):
        for name, paths in targets.items():
            latencies, errors, elapsed = asyncio.run(_phase(port, paths, clients, seconds / rounds))
            lat, err, total = pooled[name]
            pooled[name] = (lat + latencies, err + errors, total + elapsed)
    results = {}
    for name, (latencies, errors, elapsed) in pooled.items():
        results[name] = {
            "requests": len(latencies),
            "errors": len(errors),
            "error_sample": errors[:3],
            "rps": len(latencies) / elapsed,
            "p50_ms": percentile(latencies, 50) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000,
            "mean_ms": statistics.fmean(latencies) * 1000,
        }
    return results


def wait_ready(port: int, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/q/_baseline", timeout=1) as r:
                if r.status == 200:
                    return
        except urllib.error.HTTPError as exc:
            raise SystemExit(
                f"the baseline answered HTTP {exc.code}: {exc.read()[:300]!r}"
            ) from None
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer on port {port}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=12.0, help="per target, all rounds")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per target")
    parser.add_argument("--warmup", type=float, default=2.0)
    # Sync workers, 2 per core: each takes the next connection from one FIFO accept queue, so
    # waiting is shared fairly. gthread workers keep their keep-alive connections, and an
    # uneven split of the 64 connections between workers put p99 at 150-230 ms (same run,
    # idle machine) where sync gave 33-44 ms. Production sits behind nginx (docs/deploy.md),
    # which buffers slow clients, the setting gunicorn's sync workers are designed for.
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--merchants", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--reuse", help="a folder kept by --keep: skip migrating and seeding")
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to wait for gunicorn")
    parser.add_argument(
        "--no-keeper", action="store_true", help="do not hold a SQLite connection open (see code)"
    )
    parser.add_argument(
        "--client",
        choices=["wrk", "asyncio"],
        default="wrk" if shutil.which("wrk") else "asyncio",
        help="load generator (default: wrk when installed)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--seed-inside", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_inside:
        seed_inside(args.seed_inside[0], args.seed_inside[1], args.merchants)
        return
    if args.port not in PORT_RANGE:
        raise SystemExit(f"--port must be in {PORT_RANGE.start}-{PORT_RANGE.stop - 1}")
    reuse = bool(args.reuse)
    tmp = args.reuse or tempfile.mkdtemp(prefix="nx-bench-scan-")
    secret_file = Path(tmp) / "secret.txt"
    if not reuse:
        secret_file.write_text(secrets.token_urlsafe(50))
    env = {
        **os.environ,
        "NUANXIN_VAR_DIR": tmp,
        "SECRET_KEY": secret_file.read_text().strip(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DEBUG": "0",
        "SITE_ROOT": f"http://127.0.0.1:{args.port}",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("NUANXIN_DEMO", None)
    env.pop("NUANXIN_TESTING", None)
    server = None
    try:
        tokens_file = str(Path(tmp) / "tokens.json")
        t0 = time.perf_counter()
        if not reuse:
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--merchants",
                    str(args.merchants),
                    "--seed-inside",
                    tmp,
                    tokens_file,
                ],
                env={**env, "NUANXIN_DEMO": "1"},  # seed_demo runs only in demo mode
                check=True,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
        tokens = json.loads(Path(tokens_file).read_text())
        print(f"seeded {len(tokens)} door codes in {time.perf_counter() - t0:.1f}s ({tmp})")
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "nuanxin.wsgi:application",
                "--bind",
                f"127.0.0.1:{args.port}",
                "--workers",
                str(args.workers),
                "--worker-class",
                args.worker_class,
                "--threads",
                str(args.threads),
                "--keep-alive",
                "30",
                "--backlog",
                "256",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
        keeper = None
        if not args.no_keeper:
            # Django closes its SQLite connection after every request (settings: CONN_MAX_AGE=0
            # for SQLite). When the last connection closes, SQLite checkpoints and deletes the
            # WAL, and the next request re-creates it: 2-10 ms each. One long-lived reader
            # (as a running `manage.py worker` or any open shell would be) keeps the WAL.
            keeper = sqlite3.connect(str(Path(tmp) / "nuanxin.sqlite3"))
            keeper.execute("SELECT 1 FROM django_migrations LIMIT 1").fetchall()
        wait_ready(args.port, args.wait)
        scan_paths = [f"/q/{t}" for t in tokens]
        print(
            f"gunicorn {args.worker_class} {args.workers} workers x {args.threads} threads on 127.0.0.1:{args.port}; "
            f"{args.clients} clients, {args.seconds:.0f}s per target in {args.rounds} alternating "
            f"rounds after {args.warmup:.0f}s warm-up; client: {args.client}"
        )
        targets = {"baseline /q/_baseline": ["/q/_baseline"], "scan page /q/<token>": scan_paths}
        if args.client == "wrk":
            results = run_phases_wrk(
                args.port,
                targets,
                args.clients,
                args.seconds,
                args.warmup,
                args.rounds,
                Path(tmp),
            )
        else:
            results = run_phases(
                args.port, targets, args.clients, args.seconds, args.warmup, args.rounds
            )
        print(f"{'':24} {'requests':>9} {'errors':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
        for name, r in results.items():
            print(
                f"{name:24} {r['requests']:>9} {r['errors']:>7} {r['rps']:>9.0f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}"
            )
            if r["errors"]:
                print(f"  errors, e.g. {r['error_sample']}")
        base, scan = results["baseline /q/_baseline"], results["scan page /q/<token>"]
        ratio = scan["rps"] / base["rps"]
        print(
            f"ratio scan/baseline throughput: {ratio:.2f}x (target >= 0.5x); scan p99 {scan['p99_ms']:.1f} ms (target < 50 ms)"
        )
        ok = ratio >= 0.5 and scan["p99_ms"] < 50 and not scan["errors"]
        print("targets met" if ok else "targets NOT met")
        if args.check and not ok:
            sys.exit(1)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)  # graceful: no request is cut mid-way
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        if not (args.keep or reuse):
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
