"""Periodic background jobs, run by `manage.py worker` (no Celery).

An app registers its jobs in its AppConfig.ready() by importing its `jobs` module.
Each job claims its own due rows with a conditional UPDATE (or SELECT … FOR UPDATE
SKIP LOCKED on PostgreSQL), so any number of workers may run side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

JobFunc = Callable[[datetime], int]


@dataclass(frozen=True)
class Job:
    name: str
    func: JobFunc
    every_seconds: float


_REGISTRY: dict[str, Job] = {}


def register_job(name: str, every_seconds: float = 1.0) -> Callable[[JobFunc], JobFunc]:
    def decorator(func: JobFunc) -> JobFunc:
        _REGISTRY[name] = Job(name=name, func=func, every_seconds=every_seconds)
        return func

    return decorator


def registered_jobs() -> list[Job]:
    return sorted(_REGISTRY.values(), key=lambda job: job.name)
