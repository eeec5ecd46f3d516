"""Server-side PNG of a heat map (matplotlib, Agg), for reports and e-mail."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.collections import PolyCollection

from nuanxin.insight import h3agg

_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def _font() -> Any:
    try:
        font_manager.fontManager.addfont(_FONT)
        return font_manager.FontProperties(fname=_FONT)
    except (OSError, RuntimeError):
        return None


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry.get("type") == "MultiPolygon":
        return [poly[0] for poly in geometry["coordinates"]]
    return []


def heatmap_png(result: dict[str, Any], boundaries: dict[str, Any]) -> bytes:
    font = _font()
    fig, ax = plt.subplots(figsize=(8, 6), dpi=100)
    for feature in boundaries.get("features", []):
        kind = feature["properties"].get("kind")
        for ring in _rings(feature["geometry"]):
            xs, ys = zip(*ring, strict=True)
            ax.plot(
                xs,
                ys,
                color="#333" if kind == "city" else "#888",
                lw=1.5 if kind == "city" else 0.8,
            )
    cells = result.get("cells", [])
    if cells:
        polys = [h3agg.cell_boundary_lnglat(c["cell"]) for c in cells]
        coll = PolyCollection(
            polys, array=[c["value"] for c in cells], cmap="YlOrRd", edgecolors="none", alpha=0.85
        )
        ax.add_collection(coll)
        cb = fig.colorbar(coll, ax=ax, shrink=0.8)
        cb.set_label("数量", fontproperties=font)
    ax.set_aspect(1 / 0.83)  # ≈ 1/cos(33.85°): metres look square
    ax.autoscale_view()
    title = (
        f"{result.get('layer_label', '')} · {result.get('window')} · H3 r{result.get('resolution')}"
    )
    if not result.get("available", True):
        title += f"\n{result.get('reason', '')}"
    ax.set_title(title, fontproperties=font)
    ax.set_xlabel("lng")
    ax.set_ylabel("lat")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()
