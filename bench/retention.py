"""Retention of the raw MDS records: how fast `mds_records_prune` deletes old events, and
what the evidence checks, the mark and the audit rows cost beside a bare chunked DELETE.

    uv run python bench/retention.py [--batches 100] [--chunk 1000]

One run: the demo city (20,000 bikes, 1,890 spots) on a temporary SQLite database, `--batches`
batches of 1,000 events from bench/ingest.py ingested for real (evaluated: ~1 % of them are
cited by an outside decision), then every record aged past its retention period. On two
copies of that database:
1. **ours**: `mds_records_prune(kinds=["events"])`, chunks of `--chunk`;
2. **bare**: `DELETE FROM mds_mdsevent WHERE id IN (…)` over the same chunks by id, one
   transaction each, with no evidence check, no mark and no audit row: the floor.
Prints rows deleted per second for both and their ratio, and what the worker's job (0.25 s
every 10 s) can delete an hour at that rate.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from event_batches import make_batches  # noqa: E402
from ingest import demo_env, setup  # noqa: E402


def child(args: argparse.Namespace) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "nuanxin.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from datetime import timedelta

    from django.db import connection, transaction
    from django.utils import timezone

    from nuanxin.bikes.models import Operator
    from nuanxin.compliance.models import ParkingCheck
    from nuanxin.mds.ingest.events import events_ingest
    from nuanxin.mds.models import MdsEvent
    from nuanxin.mds.retention import mds_records_prune, retention_policy

    if args.phase == "fill":
        data = json.loads(Path(args.data).read_text())
        operators = {o.code: o for o in Operator.objects.all()}
        code_of = {o["token"]: o["id"] for o in data["operators"]}
        for token, body in make_batches(data, args.batches, 1000, seed=3):
            events_ingest(operator=operators[code_of[token]], body=body)
        days = retention_policy().days["events"]
        MdsEvent.objects.update(received_at=timezone.now() - timedelta(days=days + 1))
        cited = ParkingCheck.objects.filter(source="event").count()
        print(f"filled: {MdsEvent.objects.count():,} events, {cited:,} cited by a decision")
        return
    before = MdsEvent.objects.count()
    t0 = time.perf_counter()
    if args.phase == "ours":
        report = mds_records_prune(now=timezone.now(), kinds=["events"], chunk_rows=args.chunk)
        deleted = report.deleted["events"]
    else:
        ids = list(MdsEvent.objects.order_by("pk").values_list("pk", flat=True))
        deleted = 0
        for start in range(0, len(ids), args.chunk):
            part = ids[start : start + args.chunk]
            with transaction.atomic(), connection.cursor() as cursor:
                marks = ", ".join(["%s"] * len(part))
                cursor.execute(f"DELETE FROM mds_mdsevent WHERE id IN ({marks})", part)
                deleted += cursor.rowcount
    seconds = time.perf_counter() - t0
    print(json.dumps({"deleted": deleted, "seconds": seconds, "left": before - deleted}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=100, help="batches of 1,000 events")
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--phase", default="", help=argparse.SUPPRESS)
    parser.add_argument("--data", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    work = Path(tempfile.mkdtemp(prefix="nx-bench-retention-"))
    env = demo_env(work / "seed")

    def run(phase: str, var: Path) -> str:
        command = [sys.executable, __file__, "--child", "--phase", phase]
        command += ["--data", str(work / "data.json"), "--batches", str(args.batches)]
        command += ["--chunk", str(args.chunk)]
        return subprocess.run(
            command,
            cwd=ROOT,
            env=env | {"NUANXIN_VAR_DIR": str(var)},
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    try:
        (work / "data.json").write_text(json.dumps(setup(env, 1.0)))
        print(run("fill", work / "seed"))
        results = {}
        for phase in ("ours", "bare"):
            shutil.copytree(work / "seed", work / phase)
            results[phase] = json.loads(run(phase, work / phase).splitlines()[-1])
        ours, bare = results["ours"], results["bare"]
        rate = {k: v["deleted"] / v["seconds"] for k, v in results.items()}
        print(
            f"mds_records_prune: {ours['deleted']:,} events deleted in {ours['seconds']:.2f}s = "
            f"{rate['ours']:,.0f} rows/s (chunks of {args.chunk}; {ours['left']:,} kept as "
            "evidence)"
        )
        print(
            f"bare chunked DELETE: {bare['deleted']:,} in {bare['seconds']:.2f}s = "
            f"{rate['bare']:,.0f} rows/s"
        )
        per_hour = rate["ours"] * 0.25 * 360
        print(
            f"ratio ours/bare: {rate['ours'] / rate['bare']:.2f}; the worker's job (0.25 s every "
            f"10 s) deletes ≈ {per_hour:,.0f} events an hour at this rate"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
