"""Health checks that apps register (like their jobs), reported by `/healthz`.

A check returns a dict of figures and, under "problem", a sentence when something needs
an operator's attention. The web node itself stays healthy (HTTP 200): a problem elsewhere
(a stopped background worker) makes the status "degraded", for monitoring to alert on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

HealthCheck = Callable[[datetime], dict[str, Any]]

_CHECKS: dict[str, HealthCheck] = {}


def register_health_check(name: str) -> Callable[[HealthCheck], HealthCheck]:
    def decorator(func: HealthCheck) -> HealthCheck:
        _CHECKS[name] = func
        return func

    return decorator


def health_report(now: datetime) -> dict[str, dict[str, Any]]:
    return {name: _CHECKS[name](now) for name in sorted(_CHECKS)}
