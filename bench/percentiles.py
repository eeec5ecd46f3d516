"""The one percentile the benchmark scripts report (nearest rank on the sorted values)."""

from __future__ import annotations


def percentile(values: list[float], p: float) -> float:
    """The `p`-th percentile (0–100) of `values`."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
