from __future__ import annotations

from django.test import RequestFactory

from nuanxin.core import http


def test_client_ip_ignores_forged_forwarded_for_without_a_proxy() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert http.client_ip(request) == "10.0.0.5"


def test_client_ip_takes_the_proxy_appended_entry(monkeypatch: object) -> None:
    monkeypatch.setattr(http, "TRUSTED_PROXY_COUNT", 1)  # type: ignore[attr-defined]
    request = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9"
    )
    assert http.client_ip(request) == "203.0.113.9"
