"""MDS events (or telemetry) ingest in one process, no HTTP: where each batch's time goes,
and (with --instructions) how many instructions it takes, which this noisy machine cannot
blur.

    uv run python bench/ingest_inprocess.py [--batches 30] [--sql] [--instructions]
    uv run python bench/ingest_inprocess.py --kind telemetry    # parked bikes' telemetry

What it does:
1. a throw-away NUANXIN_VAR_DIR seeded as bench/ingest.py seeds it (SQLite: 1,890 spots,
   20,000 bikes, 3 operators);
2. for each phase, a child process on a fresh copy of that database calls `events_ingest`
   for the same batches of 1,000 events (`event_batches.make_batches`, which bench/ingest.py
   sends), after a few warm-up batches, and prints per batch: CPU, wall time, and the time the SQLite write
   lock was held (BEGIN IMMEDIATE to COMMIT: the part two workers cannot overlap), and
   the ParkingCheck rows written; with `--kind telemetry` the batches are 1,000 points of
   parked bikes (every bike `available`, so each point is judged; 2 % outside a spot),
   through `telemetry_ingest`, with a telemetry-shaped bare table;
   phases: `evaluated` (the product path), `stored only` (MDS_INGEST_EVALUATE=0), and the
   bare baseline of bench/ingest.py (`json.loads` + one executemany INSERT into a plain
   table, same batches), so that every figure has its floor beside it;
3. --sql adds the ten costliest statements per batch; --instructions runs each child
   under `valgrind --tool=callgrind` with collection switched on for the measured batches
   only, and prints instructions per event (repeatable to well under 1 % between runs, where
   the wall-clock rates of bench/ingest.py drift by tens of per cent in an afternoon).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from event_batches import make_batches  # noqa: E402
from ingest import bare_sqlite_batch, demo_env, setup  # noqa: E402
from telemetry_batches import bare_telemetry_batch, make_telemetry_batches  # noqa: E402


def child(args: argparse.Namespace) -> None:
    """One phase in this process: Django on the copied database, batches timed one by one."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "nuanxin.settings"
    sys.path.insert(0, str(ROOT))
    from nuanxin.core.sqlite_writer.memstatus import memstatus_off

    memstatus_off()  # as nuanxin/wsgi.py does first in each web worker (and for the bare path)
    import django

    django.setup()
    import gc

    from django.db import connection

    from nuanxin.bikes.models import Bike, Operator
    from nuanxin.compliance.models import ParkingCheck
    from nuanxin.core.sqlite_writer.base import DatabaseWrapper
    from nuanxin.mds.ingest.events import events_ingest
    from nuanxin.mds.ingest.telemetry import telemetry_ingest

    data = json.loads(Path(args.data).read_text())
    if args.kind == "telemetry":
        batches = make_telemetry_batches(data, args.warm + args.batches, 1000, seed=1)
        # Parked bikes: each point is judged (in state available, no trip), as a heartbeat.
        Bike.objects.update(vehicle_state="available")
    else:
        batches = make_batches(data, args.warm + args.batches, 1000, seed=1)
    operators = {o.code: o for o in Operator.objects.all()}
    code_of = {o["token"]: o["id"] for o in data["operators"]}
    gc.freeze()  # as nuanxin/wsgi.py does at worker start

    held = [0.0]
    acquire, release = DatabaseWrapper._writer_acquire, DatabaseWrapper._writer_release

    def timed_acquire(self):  # type: ignore[no-untyped-def]
        acquire(self)
        self._bench_t = time.perf_counter()

    def timed_release(self):  # type: ignore[no-untyped-def]
        # From taking the writer queue's lock to giving it back: the passive checkpoint
        # that follows a commit runs after this, outside the lock, and is not counted.
        if self._writer_held and getattr(self, "_bench_t", None) is not None:
            held[0] += time.perf_counter() - self._bench_t
            self._bench_t = None
        release(self)

    DatabaseWrapper._writer_acquire = timed_acquire  # type: ignore[method-assign]
    DatabaseWrapper._writer_release = timed_release  # type: ignore[method-assign]
    statements: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])

    def timed_sql(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            entry = statements[" ".join(sql.split())[:100]]
            entry[0] += 1
            entry[1] += time.perf_counter() - t0

    def run(measured: list, body_of) -> tuple[float, float]:  # type: ignore[no-untyped-def]
        cpu = wall = 0.0
        for token, body in measured:
            t0, c0 = time.perf_counter(), time.process_time()
            body_of(token, body)
            cpu += time.process_time() - c0
            wall += time.perf_counter() - t0
        return cpu, wall

    ingest_of = telemetry_ingest if args.kind == "telemetry" else events_ingest

    def ingest(token: str, body: bytes) -> None:
        # As the Agency view calls it: the body's bytes alone.
        result = ingest_of(operator=operators[code_of[token]], body=body)
        assert result.success == 1000, result.failures[:1]

    n = args.batches
    if args.phase == "bare":
        bare_phase(args, batches, run)
        return
    run(batches[: args.warm], ingest)
    held[0] = 0.0
    rows_before = ParkingCheck.objects.count()
    if args.instructions:
        subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], capture_output=True)
    if args.sql:
        with connection.execute_wrapper(timed_sql):
            cpu, wall = run(batches[args.warm :], ingest)
    elif args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        cpu, wall = run(batches[args.warm :], ingest)
        profiler.disable()
        profiler.dump_stats(Path(args.var).parent / f"profile.{args.phase.replace(' ', '-')}")
        stats = pstats.Stats(profiler)
        stats.sort_stats(args.profile).print_stats(40)
    else:
        cpu, wall = run(batches[args.warm :], ingest)
    print(
        f"{args.phase}: CPU {cpu / n * 1000:.1f} ms/batch, wall {wall / n * 1000:.1f} ms, "
        f"write lock held {held[0] / n * 1000:.1f} ms, "
        f"ParkingCheck rows {(ParkingCheck.objects.count() - rows_before) / n:.0f}/batch"
    )
    for sql, (count, seconds) in sorted(statements.items(), key=lambda kv: -kv[1][1])[:10]:
        print(f"    {seconds / n * 1000:6.2f} ms {count / n:4.1f}× {sql}")


def bare_phase(args: argparse.Namespace, batches: list, run) -> None:  # type: ignore[no-untyped-def]
    """The floor: json.loads + one executemany INSERT per batch into a plain table."""
    bare_of = bare_telemetry_batch if args.kind == "telemetry" else bare_sqlite_batch
    store = bare_of(Path(args.var) / "bare.sqlite3")

    def bare_batch(_token: str, body: bytes) -> None:
        store(body)

    run(batches[: args.warm], bare_batch)
    if args.instructions:
        subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], capture_output=True)
    cpu, wall = run(batches[args.warm :], bare_batch)
    n = args.batches
    print(f"bare insert: CPU {cpu / n * 1000:.1f} ms/batch, wall {wall / n * 1000:.1f} ms")


def callgrind_total(path: Path) -> int:
    """Instructions recorded in a callgrind output file (its `totals:` line)."""
    for line in path.read_text().splitlines():
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--warm", type=int, default=5)
    parser.add_argument("--sql", action="store_true", help="costliest statements per batch")
    parser.add_argument("--instructions", action="store_true", help="count with callgrind")
    parser.add_argument(
        "--profile", default="", metavar="SORT", help="cProfile, sorted by tottime or cumtime"
    )
    parser.add_argument(
        "--phases", default="evaluated,stored only,bare", help="comma-separated phases to run"
    )
    parser.add_argument(
        "--kind",
        choices=("events", "telemetry"),
        default="events",
        help="events (bench/ingest.py's batches) or telemetry of parked bikes",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--phase", default="", help=argparse.SUPPRESS)
    parser.add_argument("--data", default="", help=argparse.SUPPRESS)
    parser.add_argument("--var", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.instructions and shutil.which("valgrind") is None:
        sys.exit("--instructions needs valgrind (Debian: apt install valgrind)")

    seed = Path(tempfile.mkdtemp(prefix="nx-bench-inprocess-"))
    env = demo_env(seed / "seed")
    try:
        t0 = time.perf_counter()
        data = setup(env, 1.0)
        (seed / "data.json").write_text(json.dumps(data))
        print(f"setup (SQLite): {len(data['bikes'])} bikes in {time.perf_counter() - t0:.1f}s")
        counts: dict[str, int] = {}
        for phase, evaluate in (("evaluated", "1"), ("stored only", "0"), ("bare", "0")):
            if phase not in args.phases.split(","):
                continue
            var = seed / phase.replace(" ", "-")
            shutil.copytree(seed / "seed", var)
            command = [sys.executable, __file__, "--child", "--phase", phase]
            command += ["--data", str(seed / "data.json"), "--var", str(var)]
            command += ["--batches", str(args.batches), "--warm", str(args.warm)]
            command += ["--kind", args.kind]
            command += ["--sql"] * args.sql + ["--instructions"] * args.instructions
            command += ["--profile", args.profile] * bool(args.profile)
            out = seed / f"callgrind.{phase.replace(' ', '-')}"
            if args.instructions:
                command = [
                    "valgrind",
                    "--tool=callgrind",
                    "--instr-atstart=no",
                    f"--callgrind-out-file={out}",
                    *command,
                ]
            subprocess.run(
                command,
                cwd=ROOT,
                env=env | {"NUANXIN_VAR_DIR": str(var), "MDS_INGEST_EVALUATE": evaluate},
                check=True,
                stderr=subprocess.DEVNULL if args.instructions else None,
            )
            if args.instructions:
                counts[phase] = callgrind_total(out)
        if args.instructions:
            per_event = {phase: count / (args.batches * 1000) for phase, count in counts.items()}
            print(
                "instructions per event: "
                + ", ".join(f"{phase} {count:,.0f}" for phase, count in per_event.items())
                + "".join(
                    f"; {phase} / bare {per_event[phase] / per_event['bare']:.2f}"
                    for phase in ("evaluated", "stored only")
                    if phase in per_event and "bare" in per_event
                )
            )
    finally:
        shutil.rmtree(seed, ignore_errors=True)


if __name__ == "__main__":
    main()
