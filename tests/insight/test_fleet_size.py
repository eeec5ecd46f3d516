from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
import yaml
from django.core.management import CommandError, call_command

from nuanxin.insight.models import FleetSizeRun
from nuanxin.insight.sim.config import default_config_path
from nuanxin.insight.sim.search import split_by_weight
from tests.insight.citydata import make_spot


@pytest.fixture
def spots(personas):
    rng = np.random.default_rng(5)
    for i in range(25):
        make_spot(
            f"S{i:02d}",
            rng.uniform(33.80, 33.90),
            rng.uniform(115.70, 115.86),
            capacity=int(rng.integers(5, 15)),
        )


def _config(tmp_path: Path, **search) -> str:
    cfg = yaml.safe_load(default_config_path().read_text(encoding="utf-8"))
    cfg.update(duration_hours=6, seeds=2)
    cfg["demand"]["daily_trips"] = 3000
    cfg["rebalancing"]["trucks"] = 1
    cfg["search"] = {"min_fleet": 10, "max_fleet": 600, "tolerance": 20, **search}
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return str(path)


@pytest.mark.slow
def test_fleet_size_finds_the_smallest_fleet_and_writes_a_report(spots, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command(
        "fleet_size",
        "--target",
        "0.8",
        "--config",
        _config(tmp_path),
        "--json",
        stdout=out,
        verbosity=0,
    )
    result = json.loads(out.getvalue())
    assert result["met"] is True and result["demand_source"] == "gravity"
    evals = {e["fleet"]: e["served_share"] for e in result["evaluations"]}
    assert evals[result["fleet"]] >= 0.8
    # Bisection: every size evaluated below the answer missed the target.
    assert all(share < 0.8 for f, share in evals.items() if f < result["fleet"])
    assert result["split_basis"] == "equal"
    assert sum(result["split"].values()) == result["fleet"]
    assert set(result["split"]) == {"qingju", "hellobike"}
    report = Path(result["report_path"])
    assert (report / "index.html").read_text(encoding="utf-8").count("<img") == 3
    for png in ("served_vs_fleet.png", "hourly_problematic.png", "occupancy.png"):
        assert (report / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    run = FleetSizeRun.objects.get(pk=result["run_id"])
    assert run.fleet == result["fleet"] and run.met


@pytest.mark.slow
def test_unreachable_target_says_so_and_reports_the_best(spots, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command(
        "fleet_size",
        "--target",
        "0.99",
        "--config",
        _config(tmp_path, max_fleet=30),
        "--no-report",
        stdout=out,
        verbosity=1,
    )
    text = out.getvalue()
    assert "CANNOT be met" in text and "best found" in text
    run = FleetSizeRun.objects.get()
    assert run.met is False and run.fleet <= 30 and run.achieved < 0.99


def test_malformed_config_is_a_clear_error(spots, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("duration_hours: 24\nseeds: zero\n", encoding="utf-8")
    with pytest.raises(CommandError, match="运演配置无效"):
        call_command("fleet_size", "--config", str(bad), verbosity=0)
    with pytest.raises(CommandError, match="找不到运演配置文件"):
        call_command("fleet_size", "--config", str(tmp_path / "missing.yaml"), verbosity=0)
    with pytest.raises(CommandError, match="目标服务水平"):
        call_command("fleet_size", "--target", "1.5", "--config", _config(tmp_path), verbosity=0)


def test_no_spots_is_a_clear_error(personas, tmp_path):
    with pytest.raises(CommandError, match="没有生效的停放点"):
        call_command("fleet_size", "--config", _config(tmp_path), verbosity=0)


def test_split_by_weight_is_exact_and_proportional():
    assert split_by_weight(10, {"a": 2, "b": 1}) == {"a": 7, "b": 3}
    assert split_by_weight(7, {"a": 1, "b": 1, "c": 1}) == {"a": 3, "b": 2, "c": 2}
    assert split_by_weight(5, {"a": 0, "b": 0}) == {"a": 3, "b": 2}


def test_split_follows_the_latest_operator_credit_scores(personas):
    from nuanxin.insight.fleet import credit_weights
    from nuanxin.insight.sources import model_or_none

    assessment = model_or_none("opcredit.Assessment")
    if assessment is None:
        assert credit_weights() == ({"hellobike": 1.0, "qingju": 1.0}, "equal")
        return
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    for op, score, days in (
        (personas.operator, 60, 200),
        (personas.operator, 90, 10),
        (personas.other_operator, 45, 10),
    ):
        assessment.objects.create(
            operator=op,
            kind="quarterly",
            period=f"P{days}",
            period_start=now - dt.timedelta(days=days + 90),
            period_end=now - dt.timedelta(days=days),
            score=score,
            outcome="keep",
            quota_before=0,
            quota_after=0,
            rules_version="t",
        )
    weights, basis = credit_weights()
    assert basis == "credit" and weights == {"qingju": 90.0, "hellobike": 45.0}
    assert split_by_weight(900, weights) == {"qingju": 600, "hellobike": 300}
