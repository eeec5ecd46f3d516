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


def test_no_request_is_sent_without_a_secret_and_the_log_says_why(city, receiver, personas):
    from nuanxin.notices.webhooks import NOT_SENT_NO_SECRET

    personas.operator.webhook_secret = ""  # stored before clean() refused it
    personas.operator.save()
    violate(city.bike)
    now = timezone.now()
    assert webhooks_deliver_due(now) == 0
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 0
    assert delivery.last_error == NOT_SENT_NO_SECRET
    attempt = delivery.log.get()
    assert attempt.status_code is None and attempt.error == NOT_SENT_NO_SECRET
    assert attempt.url == receiver.url
    # Looked at again an hour later: still nothing sent, and the log is not repeated.
    assert delivery.next_attempt_at >= now + dt.timedelta(minutes=59)
    assert webhooks_deliver_due(delivery.next_attempt_at) == 0
    assert receiver.requests == [] and delivery.log.count() == 1


def test_the_log_reason_reads_in_english_too():
    from django.utils import translation

    from nuanxin.notices.webhooks import GIVEN_UP_UNSIGNED, NOT_SENT_NO_SECRET, NOT_SENT_NO_URL

    with translation.override("en"):
        assert translation.gettext(NOT_SENT_NO_SECRET).startswith("Not sent: ")
        assert translation.gettext(NOT_SENT_NO_URL).startswith("Not sent: ")
        assert translation.gettext(GIVEN_UP_UNSIGNED).startswith("Given up: ")


def test_a_held_delivery_goes_out_signed_once_a_secret_is_set(city, receiver, personas):
    from nuanxin.bikes.services import operator_webhook_secret_rotate

    personas.operator.webhook_secret = ""
    personas.operator.save()
    violate(city.bike)
    webhooks_deliver_due(timezone.now())
    secret = operator_webhook_secret_rotate(operator=personas.operator, by=personas.operator_admin)
    # Released at once, not an hour later.
    assert webhooks_deliver_due(timezone.now()) == 1
    headers, body = receiver.requests[0]
    assert webhook_verify(
        secret, headers["X-Nuanxin-Timestamp"], body, headers["X-Nuanxin-Signature"]
    )
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered" and delivery.attempts == 1
    assert [a.status_code for a in delivery.log.order_by("at")] == [None, 204]


def test_a_held_delivery_is_given_up_after_a_week(city, receiver, personas):
    from nuanxin.notices.webhooks import GIVEN_UP_UNSIGNED, HOLD_MAX_SECONDS

    personas.operator.webhook_secret = ""
    personas.operator.save()
    violate(city.bike)
    webhooks_deliver_due(timezone.now())
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        created_at=timezone.now() - dt.timedelta(seconds=HOLD_MAX_SECONDS + 1),
        next_attempt_at=timezone.now(),
    )
    webhooks_deliver_due(timezone.now())
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 0
    assert [a.error for a in delivery.log.order_by("at")][-1] == GIVEN_UP_UNSIGNED
    assert receiver.requests == []


def test_nothing_is_ever_signed_with_an_empty_key():
    import hashlib
    import hmac
    import time

    from nuanxin.notices.webhooks import webhook_sign

    with pytest.raises(ValueError):
        webhook_sign("", "1", b"{}")
    ts = str(int(time.time()))
    forged = b'{"event":"notice.fixed"}'
    empty_key = "sha256=" + hmac.new(b"", ts.encode() + b"." + forged, hashlib.sha256).hexdigest()
    assert not webhook_verify("", ts, forged, empty_key)


def test_the_documented_snippet_verifies_a_real_delivery(city, receiver):
    import hashlib
    import hmac

    from nuanxin.notices.webhooks import VERIFY_SNIPPET

    namespace: dict[str, Any] = {}
    exec(VERIFY_SNIPPET, namespace)  # the text the portal page and the API description show
    nuanxin_verify = namespace["nuanxin_verify"]
    violate(city.bike)
    webhooks_deliver_due(timezone.now())
    headers, body = receiver.requests[0]
    assert nuanxin_verify(SECRET, headers, body)
    assert not nuanxin_verify("wrong-secret", headers, body)
    assert not nuanxin_verify(SECRET, headers, body.replace(b"notice.opened", b"notice.closed"))
    # A forged body re-signed with an empty key does not pass, whatever the receiver's secret.
    ts = headers["X-Nuanxin-Timestamp"]
    forged = body.replace(b"notice.opened", b"notice.fixed")
    mac = hmac.new(b"", ts.encode() + b"." + forged, hashlib.sha256).hexdigest()
    forged_headers = {**headers, "X-Nuanxin-Signature": "sha256=" + mac}
    assert not nuanxin_verify(SECRET, forged_headers, forged)
    assert not nuanxin_verify("", forged_headers, forged)
    # A correctly signed request older than 5 minutes (a replay) is refused.
    old_ts = str(int(ts) - 301)
    old_mac = hmac.new(SECRET.encode(), old_ts.encode() + b"." + body, hashlib.sha256)
    old = {"X-Nuanxin-Timestamp": old_ts, "X-Nuanxin-Signature": "sha256=" + old_mac.hexdigest()}
    assert webhook_verify(SECRET, old_ts, body, old["X-Nuanxin-Signature"], max_age_s=400)
    assert not nuanxin_verify(SECRET, old, body)


def test_outside_development_a_private_address_is_refused_without_a_request(
    city, receiver, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    violate(city.bike)
    assert webhooks_deliver_due(timezone.now()) == 0
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    attempt = delivery.log.get()
    assert attempt.status_code is None
    assert attempt.error.startswith("refused: not a public address: 127.0.0.1")
    assert delivery.attempts == 1 and delivery.status == WebhookDelivery.Status.PENDING


def test_the_destination_check_knows_public_private_and_unresolvable_hosts(settings):
    from nuanxin.notices.webhooks import destination_refused

    settings.WEBHOOK_ALLOW_PRIVATE = False
    for url in (
        "https://10.1.2.3/hook",
        "https://192.168.0.9/hook",
        "https://[::1]:8443/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost/hook",
    ):
        assert destination_refused(url).startswith("refused: not a public address"), url
    assert destination_refused("https://8.8.8.8/hook") == ""  # an IP literal: no lookup
    # A name no resolver would take (a label over 63 characters), refused before any lookup.
    assert destination_refused(f"https://{'a' * 64}.example/hook").startswith(
        "refused: host not resolved"
    )
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert destination_refused("https://10.1.2.3/hook") == ""
