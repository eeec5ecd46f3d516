"""Signed webhooks to a real local HTTP server: signature, retries with backoff, the log."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.utils import timezone

from nuanxin.notices.models import Notice, WebhookDelivery
from nuanxin.notices.webhooks import backoff_seconds, webhook_verify, webhooks_deliver_due
from tests.notices.test_loop import violate

SECRET = "whsec-test-0123456789abcdef"


class Receiver:
    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.fail_next = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k: v for k, v in self.headers.items()}, body))
                code = 500 if receiver.fail_next > 0 else 204
                receiver.fail_next -= 1
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        for port in range(8330, 8350):
            try:
                self.server = HTTPServer(("127.0.0.1", port), Handler)
                break
            except OSError:
                continue
        else:  # pragma: no cover
            pytest.skip("no free port in 8330-8349")
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver(personas):
    r = Receiver()
    personas.operator.webhook_url = r.url
    personas.operator.webhook_secret = SECRET
    personas.operator.save()
    yield r
    r.server.shutdown()
    r.server.server_close()


def test_notice_is_pushed_signed(city, receiver):
    violate(city.bike)
    notice = Notice.objects.get(bike=city.bike)
    assert webhooks_deliver_due(timezone.now()) == 1
    headers, body = receiver.requests[0]
    assert headers["X-Nuanxin-Event"] == "notice.opened"
    assert webhook_verify(
        SECRET, headers["X-Nuanxin-Timestamp"], body, headers["X-Nuanxin-Signature"]
    )
    assert not webhook_verify(
        "wrong", headers["X-Nuanxin-Timestamp"], body, headers["X-Nuanxin-Signature"]
    )
    assert not webhook_verify(
        SECRET, headers["X-Nuanxin-Timestamp"], body + b" ", headers["X-Nuanxin-Signature"]
    )
    payload = json.loads(body)
    assert payload["notice"]["number"] == notice.number
    assert payload["notice"]["associated_ticket"] == notice.number
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered" and delivery.attempts == 1
    assert delivery.log.get().status_code == 204


def test_failures_are_retried_with_backoff_and_logged(city, receiver):
    receiver.fail_next = 2
    violate(city.bike)
    now = timezone.now()
    assert webhooks_deliver_due(now) == 0
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.next_attempt_at >= now + dt.timedelta(seconds=backoff_seconds(1) - 1)
    assert webhooks_deliver_due(now) == 0  # not due yet: nothing sent
    assert len(receiver.requests) == 1
    assert webhooks_deliver_due(delivery.next_attempt_at) == 0  # second failure
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and backoff_seconds(2) == 2 * backoff_seconds(1)
    assert webhooks_deliver_due(delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 3
    assert [a.status_code for a in delivery.log.order_by("at")] == [500, 500, 204]
    # The three requests are the same delivery (receivers de-duplicate on this id).
    assert {h["X-Nuanxin-Delivery"] for h, _ in receiver.requests} == {str(delivery.pk)}


def test_gives_up_after_max_attempts(city, receiver, monkeypatch):
    monkeypatch.setenv("NOTICE_WEBHOOK_MAX_ATTEMPTS", "2")
    receiver.fail_next = 10
    violate(city.bike)
    webhooks_deliver_due(timezone.now())
    delivery = WebhookDelivery.objects.get()
    webhooks_deliver_due(delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.log.count() == 2


def test_unreachable_endpoint_is_logged(city, personas):
    personas.operator.webhook_url = "http://127.0.0.1:8349/closed"
    personas.operator.webhook_secret = SECRET
    personas.operator.save()
    violate(city.bike)
    webhooks_deliver_due(timezone.now())
    attempt = WebhookDelivery.objects.get().log.get()
    assert attempt.status_code is None and "Connect" in attempt.error


def test_fix_and_penalty_are_pushed_too(city, receiver):
    from nuanxin.notices.penalties import penalties_issue_due

    violate(city.bike)
    violate(city.other_bike)  # other operator: no webhook URL, nothing queued
    notice = Notice.objects.get(bike=city.bike)
    penalties_issue_due(notice.due_at)
    events = list(WebhookDelivery.objects.order_by("pk").values_list("event", flat=True))
    assert events == ["notice.opened", "notice.penalised"]
