"""Fleet sizing (运演) against the city in the database: spots, trips, operators' credit."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.core.errors import DomainError
from nuanxin.insight.sim.demand import Demand, from_trips, gravity
from nuanxin.insight.sim.runner import params_from_config
from nuanxin.insight.sim.search import SearchResult, fleet_search, split_by_weight
from nuanxin.insight.sources import model_or_none


def city_demand(config: dict[str, Any], *, at: dt.datetime | None = None) -> Demand:
    """Spots in force and the demand: recorded trips if there are enough, else gravity."""
    from nuanxin.bikes.selectors import spots_in_force

    at = at or timezone.now()
    spots = spots_in_force(at=at)
    if len(spots) < 2:
        raise DomainError(
            "no_spots", _("没有生效的停放点（至少需要2个），无法运演。请先登记停放点。")
        )
    lat = np.array([s.center_lat for s in spots])
    lng = np.array([s.center_lng for s in spots])
    cap = np.array([max(s.capacity, 1) for s in spots])
    dem = config["demand"]
    source = dem["source"]
    if source in ("auto", "db"):
        trip_model = model_or_none("mds.Trip")
        rows: list[tuple] = []
        days = int(dem.get("history_days", 28))
        if trip_model is not None:
            since = at - dt.timedelta(days=days)
            rows = list(
                trip_model._default_manager.filter(
                    start_time__gte=since, start_time__lt=at
                ).values_list("start_lat", "start_lng", "end_lat", "end_lng", "start_time")
            )
        if len(rows) >= int(dem.get("min_trips", 500)):
            arr = np.array([r[:4] for r in rows], dtype=np.float64)
            hours = np.array([timezone.localtime(r[4]).hour for r in rows])
            first = min(r[4] for r in rows)
            span_days = max(1.0, min(days, (at - first).total_seconds() / 86400.0))
            return from_trips(
                lat=lat,
                lng=lng,
                capacity=cap,
                start_lat=arr[:, 0],
                start_lng=arr[:, 1],
                end_lat=arr[:, 2],
                end_lng=arr[:, 3],
                start_hour=hours,
                days=span_days,
                scale_m=float(dem.get("gravity_scale_m", 1500)),
            )
        if source == "db":
            raise DomainError(
                "not_enough_trips",
                _(
                    "数据库中近 %(d)d 天只有 %(n)d 条行程，少于 %(m)d 条，无法标定需求；"
                    "请改用 gravity（重力模型）。"
                )
                % {"d": days, "n": len(rows), "m": dem.get("min_trips", 500)},
            )
    profile = dem.get("hourly_profile") or [1.0] * 24
    return gravity(
        lat=lat,
        lng=lng,
        capacity=cap,
        daily_trips=float(dem.get("daily_trips", 150000)),
        hourly_profile=profile,
        scale_m=float(dem.get("gravity_scale_m", 1500)),
    )


def credit_weights() -> tuple[dict[str, float], str]:
    """Each active operator's latest credit score, if the opcredit app records them."""
    from django.apps import apps

    from nuanxin.bikes.models import Operator

    operators = list(Operator.objects.filter(status=Operator.Status.ACTIVE).order_by("code"))
    if not operators:
        raise DomainError("no_operators", _("没有正常运营的企业，无法分配投放量。"))
    scores: dict[str, float] = {}
    try:
        candidates = list(apps.get_app_config("opcredit").get_models())
    except LookupError:
        candidates = []
    for candidate in candidates:
        model = model_or_none(candidate._meta.label)  # None while its table is not migrated
        if model is None:
            continue
        names = {f.name for f in model._meta.get_fields()}
        score_field = next((f for f in ("score", "total_score", "total") if f in names), None)
        time_field = next(
            (f for f in ("computed_at", "period_end", "created_at", "at") if f in names), None
        )
        if "operator" not in names or score_field is None or time_field is None:
            continue
        for op in operators:
            row = (
                model._default_manager.filter(operator=op)
                .order_by(f"-{time_field}")
                .values_list(score_field, flat=True)
                .first()
            )
            if row is not None:
                scores[op.code] = float(row)
        if scores:
            break
    if len(scores) == len(operators):
        return scores, "credit"
    return {op.code: 1.0 for op in operators}, "equal"


def run_fleet_size(
    config: dict[str, Any], *, target: float, progress: Callable | None = None
) -> dict[str, Any]:
    if not 0 < target <= 1:
        raise DomainError("bad_target", _("目标服务水平须在 0 到 1 之间（如 0.9）。"))
    demand = city_demand(config)
    result = fleet_search(demand.city, config, target=target, progress=progress)
    weights, basis = credit_weights()
    return {
        "target": target,
        "met": result.met,
        "fleet": result.fleet,
        "achieved": result.achieved,
        "demand_source": demand.source,
        "trips_used": demand.trips_used,
        "daily_trips": demand.daily_trips,
        "spots": demand.city.n,
        "split_basis": basis,
        "weights": weights,
        "split": split_by_weight(result.fleet, weights),
        "config": config,
        "evaluations": result.evaluations,
        "_search": result,
        "_demand": demand,
    }


def write_report(result: dict[str, Any], *, out_dir: Path | None = None) -> Path:
    """PNG plots and an HTML report under var/reports/fleet-size-<time>/."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    from nuanxin.insight.sim.engine import simulate

    for path in (
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    ):
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
            plt.rcParams["font.family"] = font_manager.FontProperties(fname=path).get_name()
            break
    plt.rcParams["axes.unicode_minus"] = False
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    out = out_dir or Path(settings.VAR_DIR) / "reports" / f"fleet-size-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    search: SearchResult = result["_search"]
    demand: Demand = result["_demand"]
    ev = sorted(search.evaluations, key=lambda e: e["fleet"])

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot([e["fleet"] for e in ev], [e["served_share"] for e in ev], "o-", label="服务率")
    ax.plot(
        [e["fleet"] for e in ev],
        [e["problematic_share"] for e in ev],
        "s--",
        label="问题点位占比（空/满）",
    )
    ax.axhline(search.target, color="grey", lw=0.8, ls=":", label=f"目标 {search.target:.0%}")
    ax.axvline(search.fleet, color="tab:red", lw=0.8)
    ax.set_xlabel("投放总量（辆）")
    ax.set_ylabel("比例")
    ax.legend()
    ax.set_title("投放总量与服务水平")
    fig.tight_layout()
    fig.savefig(out / "served_vs_fleet.png", dpi=110)
    plt.close(fig)

    sim = simulate(demand.city, params_from_config(result["config"], fleet=search.fleet, seed=1))
    hours = np.arange(len(sim.snapshots))
    prev_e = np.zeros(sim.spots)
    prev_f = np.zeros(sim.spots)
    empty, full = [], []
    prev_t = 0.0
    for s in sim.snapshots:
        dt_ = max(s["t"] - prev_t, 1e-9)
        empty.append((s["empty"] - prev_e).sum() / (sim.spots * dt_))
        full.append((s["full"] - prev_f).sum() / (sim.spots * dt_))
        prev_e, prev_f, prev_t = s["empty"], s["full"], s["t"]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.stackplot(hours, empty, full, labels=["无车点位", "满溢点位"], alpha=0.8)
    ax.set_xlabel("小时")
    ax.set_ylabel("点位占比")
    ax.set_title(f"各时段问题点位（投放 {search.fleet} 辆）")
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(out / "hourly_problematic.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4))
    fill = sim.final_occupancy / np.maximum(demand.city.capacity, 1)
    ax.hist(np.minimum(fill, 2.0), bins=40)
    ax.set_xlabel("日末车辆 / 容量")
    ax.set_ylabel("点位数")
    ax.set_title("点位车辆分布")
    fig.tight_layout()
    fig.savefig(out / "occupancy.png", dpi=110)
    plt.close(fig)

    e = lambda s: html.escape(str(s))  # noqa: E731
    best = search.best()
    verdict = (
        f"达到目标：最少需要 <b>{search.fleet}</b> 辆，服务率 {search.achieved:.1%}。"
        if search.met
        else f"<b>目标 {search.target:.0%} 无法达到</b>（搜索上限 "
        f"{result['config']['search']['max_fleet']} 辆）；最佳结果：{search.fleet} 辆，"
        f"服务率 {search.achieved:.1%}。"
    )
    demand_note = (
        f"由数据库中 {result['trips_used']} 条行程标定（每日约 {result['daily_trips']:.0f} 次）"
        if result["demand_source"] == "trips"
        else f"行程数据不足，使用重力模型（按停放点容量，每日 {result['daily_trips']:.0f} 次）"
    )
    basis = "按企业信用评分" if result["split_basis"] == "credit" else "无信用评分，平均分配"
    split_rows = "".join(
        f"<tr><td>{e(k)}</td><td>{v}</td><td>{result['weights'][k]:.1f}</td></tr>"
        for k, v in result["split"].items()
    )
    ev_rows = "".join(
        f"<tr><td>{x['fleet']}</td><td>{x['served_share']:.3f}</td><td>{x['problematic_share']:.3f}"
        f"</td><td>{x['idle_bikes']:.0f}</td><td>{x['bikes_per_spot']:.2f}</td></tr>"
        for x in ev
    )
    (out / "index.html").write_text(
        f"""<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>投放总量运演报告</title>
<style>body{{font-family:'Noto Sans CJK SC',sans-serif;max-width:60em;margin:2em auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2em .6em}}</style>
<h1>共享单车投放总量运演报告</h1>
<p>生成时间：{e(timezone.localtime().strftime("%Y-%m-%d %H:%M"))}；停放点 {result["spots"]} 个。</p>
<p>{verdict}</p><p>需求来源：{demand_note}。</p>
<p>最佳方案：问题点位占比 {best["problematic_share"]:.1%}，闲置车辆 {best["idle_bikes"]:.0f} 辆，
每点位 {best["bikes_per_spot"]:.2f} 辆。</p>
<h2>企业分配（{basis}）</h2><table><tr><th>企业</th><th>配额（辆）</th><th>权重</th></tr>{split_rows}</table>
<h2>搜索过程</h2><table><tr><th>投放量</th><th>服务率</th><th>问题点位</th><th>闲置车辆</th><th>每点位</th></tr>
{ev_rows}</table>
<img src="served_vs_fleet.png" alt="服务率"><img src="hourly_problematic.png" alt="时段">
<img src="occupancy.png" alt="分布">
<h2>配置</h2><pre>{e(result["config"])}</pre></html>""",
        encoding="utf-8",
    )
    return out
