"""A fixed-window rate limit kept in the database, so every web worker shares it."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from nuanxin.feedback.models import RateLimitHit


def _window_start(now: dt.datetime, seconds: int) -> dt.datetime:
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, tz=dt.UTC)


def rate_limit_hit(*, bucket: str, key: str, limit: int, window_seconds: int = 3600) -> bool:
    """Count one attempt; True when it is within the limit, False when over it."""
    if not key:
        return True
    start = _window_start(timezone.now(), window_seconds)
    with transaction.atomic():
        updated = RateLimitHit.objects.filter(
            bucket=bucket, key=key[:80], window_start=start
        ).update(count=F("count") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    RateLimitHit.objects.create(
                        bucket=bucket, key=key[:80], window_start=start, count=1
                    )
            except IntegrityError:
                RateLimitHit.objects.filter(bucket=bucket, key=key[:80], window_start=start).update(
                    count=F("count") + 1
                )
        count = (
            RateLimitHit.objects.filter(bucket=bucket, key=key[:80], window_start=start)
            .values_list("count", flat=True)
            .first()
        )
    return (count or 0) <= limit


def rate_limit_prune(*, older_than: dt.timedelta = dt.timedelta(days=2)) -> int:
    deleted, _ = RateLimitHit.objects.filter(window_start__lt=timezone.now() - older_than).delete()
    return deleted
