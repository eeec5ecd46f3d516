"""`manage.py fleet_size --target 0.9`: the smallest fleet meeting a service level (运演)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from nuanxin.core.errors import DomainError
from nuanxin.insight.fleet import run_fleet_size, write_report
from nuanxin.insight.services import fleet_run_record
from nuanxin.insight.sim.config import load_config
from nuanxin.insight.sim.search import expected_steps


class Command(BaseCommand):
    help = "Search the smallest bike fleet meeting a target share of trips served; split by credit."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--target", type=float, default=0.9, help="share of trips served")
        parser.add_argument(
            "--config", help="YAML/JSON simulation config (default data/insight/fleet_size.yaml)"
        )
        parser.add_argument("--seeds", type=int, help="replications per fleet size")
        parser.add_argument("--min-fleet", type=int)
        parser.add_argument("--max-fleet", type=int)
        parser.add_argument("--tolerance", type=int)
        parser.add_argument("--demand", choices=["auto", "db", "gravity"])
        parser.add_argument("--hours", type=float, help="simulated hours (default 24)")
        parser.add_argument("--no-report", action="store_true")
        parser.add_argument("--no-record", action="store_true", help="do not store the run")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        overrides = {
            key: opts[name]
            for key, name in (
                ("seeds", "seeds"),
                ("search.min_fleet", "min_fleet"),
                ("search.max_fleet", "max_fleet"),
                ("search.tolerance", "tolerance"),
                ("demand.source", "demand"),
                ("duration_hours", "hours"),
            )
            if opts.get(name) is not None
        }
        try:
            config = load_config(opts.get("config"), overrides)
            bar = tqdm(
                total=expected_steps(config),
                desc="运演 fleet size",
                unit="size",
                disable=opts["verbosity"] == 0,
            )

            def progress(fleet: int, summary: dict) -> None:
                bar.set_postfix(fleet=fleet, served=f"{summary['served_share']:.3f}")
                bar.update(1)

            result = run_fleet_size(config, target=opts["target"], progress=progress)
            bar.close()
            if not opts["no_report"]:
                result["report_path"] = str(write_report(result))
            if not opts["no_record"]:
                result["run_id"] = fleet_run_record(result=result).pk
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        public = {k: v for k, v in result.items() if not k.startswith("_") and k != "config"}
        if opts["json"]:
            self.stdout.write(json.dumps(public, ensure_ascii=False, default=str))
            return
        src = {
            "trips": f"calibrated from {result['trips_used']} recorded trips",
            "gravity": "gravity model from spot capacities (too few recorded trips)",
        }
        self.stdout.write(f"demand: {src[result['demand_source']]}; spots: {result['spots']}")
        if result["met"]:
            self.stdout.write(
                self.style.SUCCESS(
                    f"target {result['target']:.0%} met: smallest fleet {result['fleet']} bikes "
                    f"(served {result['achieved']:.1%})"
                )
            )
        else:
            self.stdout.write(
                self.style.WARNING(
                    f"target {result['target']:.0%} CANNOT be met up to "
                    f"{config['search']['max_fleet']} bikes; best found: {result['fleet']} bikes "
                    f"serving {result['achieved']:.1%}"
                )
            )
        basis = (
            "by latest credit score"
            if result["split_basis"] == "credit"
            else "equally (no credit scores recorded)"
        )
        self.stdout.write(
            f"split {basis}: " + ", ".join(f"{k} {v}" for k, v in result["split"].items())
        )
        if result.get("report_path"):
            self.stdout.write(f"report: {result['report_path']}/index.html")
        if result.get("run_id"):
            self.stdout.write(
                f"run #{result['run_id']} recorded; a chief/admin can apply it to quotas"
            )
