"""Signed webhooks to operators: a durable outbox with exponential backoff and a log.

Each request carries
    X-Nuanxin-Event: notice.opened | notice.fixed | notice.penalised | notice.closed
    X-Nuanxin-Delivery: <delivery id>   (at-least-once: receivers de-duplicate on it)
    X-Nuanxin-Timestamp: <unix seconds>
    X-Nuanxin-Signature: sha256=<hex HMAC-SHA256(webhook_secret, "<timestamp>.<raw body>")>
Signing the timestamp with the body stops replays; receivers should reject timestamps
more than 5 minutes old. `webhook_verify` is the reference check; `VERIFY_SNIPPET` is the
same check as operators read it (the portal's 推送设置 page and the API description).

Nothing is ever signed with an empty key (anyone could forge that signature). A delivery
whose operator has no secret (or no URL) is not sent over HTTP: it stays pending, its log
says why once, it is looked at again hourly and at once when the operator sets a secret
(`webhooks_release_held`), and it is given up after `HOLD_MAX_SECONDS`. Kept rather than
failed, because the push is how the operator's systems learn of a notice: one set up late
still receives what happened meanwhile, with all its HTTP attempts (`attempts` counts only
those).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from nuanxin.lib.env import envint
from nuanxin.notices.models import Notice, WebhookAttempt, WebhookDelivery

LEASE_SECONDS = 60
# What a notice's webhook payload reads (select_related by whoever loads notices to push).
WEBHOOK_RELATED = (
    "operator",
    "bike",
    "worker",
    "target_spot",
    "check_ref",
    "check_ref__spot",
    "check_ref__spot_version",
)
BACKOFF_BASE_SECONDS = 10
HOLD_RECHECK_SECONDS = 3600
HOLD_MAX_SECONDS = 7 * 24 * 3600

# Log and `last_error` texts of deliveries not sent, stored as the Chinese msgid and
# translated where they are shown ({% translate %} of the stored value).
NOT_SENT_NO_SECRET = gettext_noop("未发送：本企业未设置签名密钥，设置后自动补发。")
NOT_SENT_NO_URL = gettext_noop("未发送：本企业未设置回调地址，设置后自动补发。")
GIVEN_UP_UNSIGNED = gettext_noop("已放弃：7 天内未设置签名密钥或回调地址，未发送。")
HELD_REASONS = (NOT_SENT_NO_SECRET, NOT_SENT_NO_URL)
# Attempts refused before any request (followed by the host and the reason).
NOT_PUBLIC = "refused: not a public address"
NOT_RESOLVED = "refused: host not resolved"

# What operators run to check a request (shown on the portal's settings page and in the
# API description; tests/notices/test_webhooks_settings.py runs this very text).
VERIFY_SNIPPET = """\
import hashlib
import hmac
import time


def nuanxin_verify(secret: str, headers, body: bytes, max_age_s: int = 300) -> bool:
    # headers: the request's headers; body: the raw request body, the bytes as received
    timestamp = headers.get("X-Nuanxin-Timestamp", "")
    signature = headers.get("X-Nuanxin-Signature", "")
    if not secret or not timestamp.isdigit() or abs(time.time() - int(timestamp)) > max_age_s:
        return False
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest("sha256=" + mac.hexdigest(), signature)
"""


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
    if not secret:
        raise ValueError("refusing to sign a webhook with an empty secret")
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def webhook_verify(
    secret: str, timestamp: str, body: bytes, signature: str, *, max_age_s: int = 300
) -> bool:
    if not secret:
        return False
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


def _hold(delivery: WebhookDelivery, reason: str) -> None:
    """Keep a delivery that cannot be sent pending without any HTTP request: log why once
    (not at every hourly look), give it up after HOLD_MAX_SECONDS."""
    now = timezone.now()
    given_up = delivery.created_at <= now - timedelta(seconds=HOLD_MAX_SECONDS)
    error = GIVEN_UP_UNSIGNED if given_up else reason
    with transaction.atomic():
        if given_up or delivery.last_error != reason:
            WebhookAttempt.objects.create(
                delivery=delivery, at=now, url=delivery.operator.webhook_url, error=error
            )
        fields: dict[str, Any] = (
            {"status": WebhookDelivery.Status.FAILED}
            if given_up
            else {"next_attempt_at": now + timedelta(seconds=HOLD_RECHECK_SECONDS)}
        )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            last_status_code=None, last_error=error, **fields
        )


def webhooks_release_held(*, operator_id: int) -> int:
    """Make the operator's held deliveries due now (its secret or URL was just set). Rows
    under a worker's lease (due within LEASE_SECONDS) are left to that worker."""
    now = timezone.now()
    return WebhookDelivery.objects.filter(
        operator_id=operator_id,
        status=WebhookDelivery.Status.PENDING,
        last_error__in=HELD_REASONS,
        next_attempt_at__gt=now + timedelta(seconds=LEASE_SECONDS),
    ).update(next_attempt_at=now)


def webhook_send(delivery: WebhookDelivery, *, client: httpx.Client | None = None) -> bool:
    """One HTTP attempt, logged; False without any request when it cannot be signed."""
    operator = delivery.operator
    if not operator.webhook_secret:
        _hold(delivery, NOT_SENT_NO_SECRET)
        return False
    if not operator.webhook_url:
        _hold(delivery, NOT_SENT_NO_URL)
        return False
    refused = destination_refused(operator.webhook_url)
    if refused:
        return _record_attempt(delivery, url=operator.webhook_url, code=None, error=refused)
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Nuanxin-Webhook/1",
        "X-Nuanxin-Event": delivery.event,
        "X-Nuanxin-Delivery": str(delivery.pk),
        "X-Nuanxin-Timestamp": ts,
        "X-Nuanxin-Signature": webhook_sign(operator.webhook_secret, ts, body),
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
    return _record_attempt(
        delivery, url=operator.webhook_url, code=code, error=error, ok=ok, elapsed_ms=elapsed
    )


def destination_refused(url: str) -> str:
    """Why a webhook may not go to `url`, or "" when it may. Outside development a webhook
    goes only to public addresses: an operator's URL must not make this server post into
    the bureau's own network (SSRF). Every address the host resolves to is checked; the
    request itself resolves again, so a host that changes its answer between the two
    (DNS rebinding) is not caught here — the network's egress rules are the backstop."""
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError, UnicodeError) as exc:
        return f"{NOT_RESOLVED}: {host} ({exc})"[:300]
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            return f"{NOT_PUBLIC}: {host} → {address}"[:300]
    return ""


def _record_attempt(
    delivery: WebhookDelivery,
    *,
    url: str,
    code: int | None,
    error: str,
    ok: bool = False,
    elapsed_ms: int = 0,
) -> bool:
    """Log one attempt and move the delivery on: delivered, retried later, or failed."""
    now = timezone.now()
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            at=now,
            url=url,
            status_code=code,
            error=error,
            duration_ms=elapsed_ms,
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


def webhook_deliveries_recent(*, operator_id: int, limit: int = 30) -> list[WebhookDelivery]:
    """The operator's latest deliveries, newest first, each with its attempts (`log`), in
    two queries: the operator portal's delivery log."""
    return list(
        WebhookDelivery.objects.filter(operator_id=operator_id)
        .order_by("-created_at", "-pk")
        .prefetch_related("log")[:limit]
    )
