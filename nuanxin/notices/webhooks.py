"""Signed webhooks to operators: a durable outbox with exponential backoff and a log.

Each request carries
    X-Nuanxin-Event: notice.opened | notice.fixed | notice.penalised | notice.closed
    X-Nuanxin-Delivery: <delivery id>   (at-least-once: receivers de-duplicate on it)
    X-Nuanxin-Timestamp: <unix seconds>
    X-Nuanxin-Signature: sha256=<hex HMAC-SHA256(webhook_secret, "<timestamp>.<raw body>")>
Signing the timestamp with the body stops replays; receivers should reject timestamps
more than 5 minutes old. `webhook_verify` is the reference check.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from nuanxin.lib.env import envint
from nuanxin.notices.models import Notice, WebhookAttempt, WebhookDelivery

LEASE_SECONDS = 60
BACKOFF_BASE_SECONDS = 10


def max_attempts() -> int:
    return envint("NOTICE_WEBHOOK_MAX_ATTEMPTS", 8)


def backoff_seconds(attempts: int) -> int:
    """10 s, 20 s, 40 s … capped at one hour."""
    return int(min(3600, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1)))


def notice_payload(notice: Notice, event: str) -> dict[str, Any]:
    from nuanxin.notices.selectors import notice_as_dict

    return {"event": event, "notice": notice_as_dict(notice)}


def webhook_enqueue(*, notice: Notice, event: str) -> WebhookDelivery | None:
    """Queue a webhook in the caller's transaction (none if the operator has no URL)."""
    operator = notice.operator
    if not operator.webhook_url:
        return None
    return WebhookDelivery.objects.create(
        notice=notice,
        operator=operator,
        event=event,
        payload=json.loads(json.dumps(notice_payload(notice, event), cls=DjangoJSONEncoder)),
        next_attempt_at=timezone.now(),
    )


def webhooks_enqueue_many(*, notices: list[Notice], event: str) -> int:
    """`webhook_enqueue` for many notices at once (one INSERT per 500), same rows."""
    now = timezone.now()
    rows = [
        WebhookDelivery(
            notice=n,
            operator=n.operator,
            event=event,
            payload=json.loads(json.dumps(notice_payload(n, event), cls=DjangoJSONEncoder)),
            next_attempt_at=now,
        )
        for n in notices
        if n.operator.webhook_url
    ]
    WebhookDelivery.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def webhook_sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def webhook_verify(
    secret: str, timestamp: str, body: bytes, signature: str, *, max_age_s: int = 300
) -> bool:
    try:
        if abs(time.time() - int(timestamp)) > max_age_s:
            return False
    except ValueError:
        return False
    return hmac.compare_digest(webhook_sign(secret, timestamp, body), signature)


def _claim(now: datetime, limit: int) -> list[WebhookDelivery]:
    """Lease due rows by a conditional update, so several workers never send one twice at once."""
    claimed = []
    due = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
    ).order_by("next_attempt_at")[:limit]
    for d in due:
        lease = now + timedelta(seconds=LEASE_SECONDS)
        if WebhookDelivery.objects.filter(
            pk=d.pk, status=WebhookDelivery.Status.PENDING, next_attempt_at=d.next_attempt_at
        ).update(next_attempt_at=lease):
            claimed.append(d)
    return claimed


def webhook_send(delivery: WebhookDelivery, *, client: httpx.Client | None = None) -> bool:
    operator = delivery.operator
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Nuanxin-Webhook/1",
        "X-Nuanxin-Event": delivery.event,
        "X-Nuanxin-Delivery": str(delivery.pk),
        "X-Nuanxin-Timestamp": ts,
        "X-Nuanxin-Signature": webhook_sign(operator.webhook_secret or "", ts, body),
    }
    started = time.monotonic()
    code, error = None, ""
    try:
        own = client or httpx.Client(timeout=5.0)
        try:
            response = own.post(operator.webhook_url, content=body, headers=headers)
        finally:
            if client is None:
                own.close()
        code = response.status_code
        ok = 200 <= code < 300
        if not ok:
            error = f"HTTP {code}"
    except httpx.HTTPError as exc:
        ok, error = False, f"{type(exc).__name__}: {exc}"[:300]
    elapsed = int((time.monotonic() - started) * 1000)
    now = timezone.now()
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            at=now,
            url=operator.webhook_url,
            status_code=code,
            error=error,
            duration_ms=elapsed,
        )
        attempts = delivery.attempts + 1
        if ok:
            fields: dict[str, Any] = {
                "status": WebhookDelivery.Status.DELIVERED,
                "delivered_at": now,
            }
        elif attempts >= max_attempts():
            fields = {"status": WebhookDelivery.Status.FAILED}
        else:
            fields = {"next_attempt_at": now + timedelta(seconds=backoff_seconds(attempts))}
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=attempts, last_status_code=code, last_error=error, **fields
        )
    return ok


def webhooks_deliver_due(now: datetime, *, limit: int = 50) -> int:
    sent = 0
    claimed = _claim(now, limit)
    if not claimed:
        return 0
    with httpx.Client(timeout=5.0) as client:
        for delivery in claimed:
            delivery.refresh_from_db()
            if webhook_send(delivery, client=client):
                sent += 1
    return sent
